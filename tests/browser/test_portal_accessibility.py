"""WCAG 2.1 AA on every portal page, in English and in Spanish, on a phone: axe-core (vendored from the npm
registry, tests/browser/vendor/) run in Chromium finds no serious or critical violation; links and buttons in the
content are at least 44 px high; no text is smaller than 18 px. A full-page screenshot of each page is kept in
test-artifacts/screenshots/portal-a11y-<language>-<page>.png to look at."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from careconductor.assessments import catalogue
from careconductor.engagement import actions

from .portal import AXE, build_portal, phone_context, portal_log_in, settle

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
MIN_TARGET = 44  # px: WCAG 2.5.5's size, kept for every link and button in the page's main content
MIN_TEXT = 18  # px

RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
  return {passes: result.passes.length,
    violations: result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, tags: v.tags,
      nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary}))}))};
}"""

# Every link, button and form control in the content, with its height; those too low to touch easily.
SMALL_TARGETS = """(min) => [...document.querySelectorAll(
    'main a[href], main button, main input:not([type=hidden]), main select, main textarea, main summary,'
    + ' header a[href], header button, nav a[href]')]
  .filter(el => el.getClientRects().length)
  .map(el => {
    // a radio or checkbox counts with its label, which is what a finger touches
    const box = (el.closest('label') || el).getBoundingClientRect();
    return {what: el.outerHTML.slice(0, 120), height: Math.round(box.height)};
  })
  .filter(t => t.height < min)"""

# Every element with its own visible text, with its computed font size (SVG text too).
SMALL_TEXT = """(min) => {
  const small = [];
  for (const el of document.body.querySelectorAll('*')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own || !el.getClientRects().length) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || el.closest('.visually-hidden, .skip')) continue;
    let size = parseFloat(style.fontSize);
    if (el instanceof SVGElement && el.ownerSVGElement) {  // the size as drawn, after the viewBox's scaling
      const svg = el.ownerSVGElement;
      const scale = svg.getBoundingClientRect().width / (svg.viewBox.baseVal.width || svg.clientWidth || 1);
      size = size * scale;
    }
    if (size < min - 0.01) small.push({what: el.outerHTML.slice(0, 100), size: Math.round(size * 10) / 10});
  }
  return small;
}"""


def check_page(page, name: str, language: str, screenshot, problems: list[str]) -> None:  # type: ignore[no-untyped-def]
    """axe, touch targets and text size on the page as it is; a screenshot; problems collected, not raised, so
    one run shows everything."""
    settle(page)
    assert page.locator("html").get_attribute("lang") == language, (name, page.url)
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate(RUN_AXE, [*TAGS, "best-practice"])
    assert result["passes"] >= 10, f"axe-core did not run properly on {name}: {result}"
    for v in result["violations"]:
        if v["impact"] in ("serious", "critical") and set(v["tags"]) & set(TAGS):
            nodes = "; ".join(f"{n['target']} ({n['summary']})" for n in v["nodes"][:5])
            problems.append(f"[{language}] {name}: axe {v['id']} ({v['impact']}): {v['help']} — {nodes}")
        else:
            # moderate or minor, or a best practice beyond WCAG: shown, not failing
            print(
                f"[{language}] {name}: axe {v['id']} ({v['impact']}): {v['help']} — {v['nodes'][0]['target']}"
            )
    for t in page.evaluate(SMALL_TARGETS, MIN_TARGET):
        problems.append(f"[{language}] {name}: target {t['height']} px high: {t['what']}")
    for t in page.evaluate(SMALL_TEXT, MIN_TEXT):
        problems.append(f"[{language}] {name}: text {t['size']} px: {t['what']}")
    screenshot(f"portal-a11y-{language}-{name}", on=page)


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_portal_page_passes_axe_on_a_phone(live_server, browser, screenshot, language: str) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    catalogue.sync()
    pw = build_portal()
    world = pw.world
    base = live_server.url
    context, page = phone_context(browser, language, bypass_csp=True)
    problems: list[str] = []

    # The log-in page itself is staff chrome shared by everyone; the portal starts after it.
    portal_log_in(page, base, "paula")
    expect(page.locator("html")).to_have_attribute("lang", "es")  # Paula prefers Spanish
    if language == "en":
        page.get_by_role("button", name="English").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")

    def visit(name: str, path: str) -> None:
        page.goto(f"{base}{path}")
        check_page(page, name, language, screenshot, problems)

    visit("home", "/portal/")
    visit("plan", "/portal/plan/")
    visit("check-in", "/portal/check-in/")
    visit("blood-pressure", "/portal/check-in/blood-pressure/")
    for measure in ("glucose", "weight", "peak-flow"):
        visit(f"reading-{measure}", f"/portal/check-in/reading/{measure}/")
    visit("feeling", "/portal/check-in/feeling/")
    visit("goal-check-in", f"/portal/check-in/goal/{pw.goal.pk}/")
    visit("doses", "/portal/check-in/doses/")

    # A form with its errors, as a patient who mistyped sees it.
    page.goto(f"{base}/portal/check-in/blood-pressure/")
    page.locator("#id_systolic").fill("12")
    page.locator("#id_diastolic").fill("8")
    page.locator("main form button").click()
    expect(page.locator("#id_systolic_error")).to_be_visible()
    check_page(page, "blood-pressure-errors", language, screenshot, problems)

    # The page after a report: a reading past the limit (the instruction) and an ordinary one.
    page.locator("#id_systolic").fill("186")
    page.locator("#id_diastolic").fill("104")
    page.locator("main form button").click()
    page.wait_for_url(re.compile(r"/check-in/done/#what-to-do$"))
    check_page(page, "done-alert", language, screenshot, problems)
    page.goto(f"{base}/portal/check-in/reading/weight/")
    page.locator("#id_value").fill("176")
    page.locator("main form button").click()
    page.wait_for_url(re.compile(r"/check-in/done/$"))
    check_page(page, "done", language, screenshot, problems)

    visit("readings", "/portal/readings/")
    visit("questionnaires", "/portal/questionnaires/")
    page.locator("section", has_text="PHQ-9").get_by_role("button").click()
    page.wait_for_url(re.compile(r"/questionnaires/answers/\d+/1/$"))
    check_page(page, "questionnaire", language, screenshot, problems)
    visit("messages", "/portal/messages/")
    visit("message-new", "/portal/messages/new/")
    visit("message", f"/portal/messages/{pw.thread.pk}/")
    visit("people", "/portal/people/")
    visit("whose", "/portal/whose/")
    visit("learn", "/portal/learn/")
    assignment = world.paula.education_assignments.get()
    visit("learn-material", f"/portal/learn/{assignment.pk}/")

    # The invitation link, before anyone logs in: a fresh one and one that no longer works.
    page.goto(f"{base}/portal/")
    settle(page)
    page.locator("header form", has=page.locator("button.p-link:not([lang])")).locator("button").click()
    page.wait_for_url(lambda url: "/portal" not in url)
    from careconductor.cases.actions import do_register_and_refer
    from careconductor.cases.choices import Program, ReferralSource
    from careconductor.patients.actions import PatientDetails
    from careconductor.patients.choices import Sex

    newcomer = do_register_and_refer(
        world.alice,
        PatientDetails(
            given_name="Omar",
            family_name="Haddad",
            birth_date=dt.date(1960, 1, 2),
            sex=Sex.MALE,
            preferred_language=language,
        ),
        program=Program.COMPLEX,
        referral_source=ReferralSource.PCP,
        referral_reason="Heart failure",
        acuity_tier=2,
    )
    made = actions.do_invite_patient(world.alice, newcomer)
    visit("join", made.path)
    response = page.goto(f"{base}/portal/join/no-such-link/")
    assert response is not None and response.status == 404
    if page.locator("html").get_attribute("lang") != language:  # nobody to take the language from: the switch
        page.locator("header").get_by_role("button").click()
        expect(page.locator("html")).to_have_attribute("lang", language)
    check_page(page, "join-expired", language, screenshot, problems)

    settle(page)
    context.close()
    assert not problems, f"{len(problems)} accessibility problems:\n" + "\n".join(problems)
