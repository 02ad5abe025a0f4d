"""A department's first morning on a fresh install, in Chromium (docs/administration.md "The first morning").

The database holds only what `careconductor createuser ada --role admin --organization "Hillside Care"`
makes. Everything else is done on screens: Ada logs in and sets up her authenticator (a new organisation asks
every staff role for a second factor), fills the organisation's phones, invites a supervisor, creates team
Hillside North for chronic care management under her, invites a case manager and a pharmacist; each new
person opens the link from their e-mail in a browser of their own, chooses a password and sets up an
authenticator. The checklist then shows every step done. The case manager registers a CCM referral, records
consent, enrols the case and puts the pharmacist on the care team; the pharmacist logs a phone call and time
and sees the medication form. Screenshots (test-artifacts/screenshots/first-morning-*): each welcome page, and
the checklist, the staff list and the pharmacist's contact page at a laptop's size and a phone's."""

from __future__ import annotations

import base64
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django_otp.oath import TOTP

from careconductor.accounts.models import Organization, Team, User
from careconductor.cases.models import Case
from careconductor.coordination.models import Contact, TimeEntry
from careconductor.patients.models import CareTeamMember, Patient
from careconductor.privacy.models import AuditEvent

from .test_morning import overflow, settle

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
ADA_PASSWORD = "hillside-ada-first-morning"
PASSWORD = "a long password for the first morning"  # each new person's choice

SUPERVISOR = {"first": "Sam", "last": "Okafor", "username": "sam.okafor", "role": "Supervisor"}
CASE_MANAGER = {"first": "Maria", "last": "Lopez", "username": "maria.lopez", "role": "Case manager"}
PHARMACIST = {"first": "Kevin", "last": "Tran", "username": "kevin.tran", "role": "Care team member"}


def _code_for(secret_text: str) -> str:
    """What the authenticator app shows for the key typed from the set-up page."""
    key = secret_text.replace(" ", "")
    totp = TOTP(base64.b32decode(key + "=" * (-len(key) % 8)), 30, 0, 6, 0)
    return f"{totp.token():06d}"


def _first_log_in(page, base: str, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    """Password, then the authenticator set-up the app sends a new person to, then the recovery codes."""
    from playwright.sync_api import expect

    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/account/second-factor/setup/**")
    secret = page.locator("code.key").inner_text()
    page.get_by_role("textbox", name="Code").fill(_code_for(secret))
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("ul.codes code")).to_have_count(10)
    page.get_by_role("link", name="I have saved them, continue").click()
    page.wait_for_url(lambda url: "/login/" not in url and "second-factor" not in url)
    settle(page)


def _invite(page, person: dict[str, str], **extra: str) -> str:  # type: ignore[no-untyped-def]
    """Invite a person on the Staff tab; returns the link from their e-mail (the live server is in-process, so
    the e-mail lands in Django's test outbox once the invitation's transaction commits)."""
    from playwright.sync_api import expect

    page.get_by_role("navigation", name="Set-up").get_by_role("link", name="Staff").click()
    page.get_by_role("link", name="Invite a person").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Invite a person")
    page.get_by_label("First name").fill(person["first"])
    page.get_by_label("Last name").fill(person["last"])
    page.get_by_label("User name").fill(person["username"])
    page.get_by_label("E-mail").fill(f"{person['username']}@hillside.example.org")
    page.get_by_label("Role").select_option(label=person["role"])
    page.get_by_label("Discipline").select_option(label=extra.get("discipline", "Registered nurse"))
    if "experience" in extra:
        page.get_by_label("Experience").select_option(label=extra["experience"])
    if "capacity" in extra:
        page.get_by_label("Capacity (acuity points)").fill(extra["capacity"])
    # A group of checkboxes is a fieldset named by its legend (a label beside the boxes named nothing).
    languages = page.get_by_role("group", name="Languages spoken")
    expect(languages.get_by_role("checkbox")).to_have_count(12)
    for language in filter(None, extra.get("languages", "").split(", ")):
        languages.get_by_role("checkbox", name=language, exact=True).check()
    if "team" in extra:
        page.get_by_label("Team", exact=True).select_option(label=extra["team"])
    sent = len(mail.outbox)
    page.get_by_role("button", name="Invite").click()
    expect(page).to_have_url(re.compile(r"/setup/staff/$"))
    name = f"{person['first']} {person['last']}"
    expect(page.locator(".flash")).to_contain_text(f"{name} is invited")
    shown = page.locator("code.wrap").inner_text()  # the link shown once, to hand over in person
    settle(page)
    assert len(mail.outbox) == sent + 1
    message = mail.outbox[-1]
    assert message.to == [f"{person['username']}@hillside.example.org"]
    found = re.search(r"https?://\S+(/setup/welcome/\S+/)", str(message.body))
    assert found, message.body
    assert shown.endswith(found.group(1))  # the e-mail and the page give the same link
    return found.group(1)


def _choose_password(browser, base: str, path: str, username: str, screenshot):  # type: ignore[no-untyped-def]
    """The new person opens their link in a browser of their own, chooses a password and logs in."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{base}{path}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome to CareConductor")
    expect(page.locator("main")).to_contain_text(f"You log in with your user name, {username}.")
    screenshot(f"first-morning-welcome-{username}", on=page)
    page.get_by_label(re.compile(r"^New password\b(?! confirmation)")).fill(PASSWORD)
    page.get_by_label("New password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Set my password").click()
    expect(page).to_have_url(re.compile(r"/login/"))
    expect(page.locator(".flash")).to_contain_text("Your password is set.")
    _first_log_in(page, base, username, PASSWORD)
    return context, page


def _both_sizes(page, screenshot, name: str) -> dict[str, dict[str, int]]:  # type: ignore[no-untyped-def]
    """Screenshots of the page at a laptop's size and a phone's; how far each is wider than its window."""
    seen = {}
    for size, viewport in (("laptop", LAPTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        page.reload()
        settle(page)
        seen[size] = overflow(page)
        screenshot(f"first-morning-{name}-{size}", on=page)
    page.set_viewport_size(LAPTOP)
    return seen


def test_a_departments_first_morning_on_a_fresh_install(live_server, browser, screenshot) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    call_command("createuser", "ada", role="admin", organization="Hillside Care", password=ADA_PASSWORD)
    assert User.objects.count() == 1 and Organization.objects.count() == 1
    base = live_server.url
    overflows: dict[str, dict[str, dict[str, int]]] = {}

    # --- Ada: log in, set up her authenticator, land on the checklist ------------------------------------------
    ada_context = browser.new_context(viewport=LAPTOP)
    page = ada_context.new_page()
    page.set_default_timeout(10_000)
    _first_log_in(page, base, "ada", ADA_PASSWORD)
    expect(page).to_have_url(re.compile(r"/setup/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Setting up Hillside Care")
    steps = page.locator("ol.checklist > li")
    expect(steps).to_have_count(3)
    expect(page.locator("ol.checklist > li.done")).to_have_count(0)

    # 1. The organisation's phones.
    page.get_by_role("link", name="Name the organisation and its phone numbers").click()
    expect(page.get_by_label("Name")).to_have_value("Hillside Care")
    page.get_by_label("Main phone").fill("555-0100")
    page.get_by_label("Phone at night and at weekends").fill("555-0199")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/setup/$"))
    expect(page.locator(".flash")).to_have_text("Organisation saved.")
    expect(page.locator("ol.checklist > li.done")).to_have_count(1)

    # 2. A supervisor first (a team's supervisor must exist), then the team with its programme.
    sam_link = _invite(page, SUPERVISOR)
    page.get_by_role("navigation", name="Set-up").get_by_role("link", name="Teams").click()
    expect(page.locator("table tbody")).to_contain_text("No team yet.")
    page.get_by_label("Team name").fill("Hillside North")
    page.get_by_label("Supervisor").select_option(label="Sam Okafor (Supervisor)")
    page.get_by_role("group", name="Receives referrals for").get_by_role(
        "checkbox", name="Chronic care management"
    ).check()
    page.get_by_role("button", name="Create team").click()
    expect(page.locator(".flash")).to_have_text("Team Hillside North saved.")
    row = page.locator("table tbody tr", has_text="Hillside North")
    expect(row).to_contain_text("Sam Okafor")
    expect(row).to_contain_text("Chronic care management")

    # 3. The case manager, on the team, and the pharmacist.
    maria_link = _invite(
        page,
        CASE_MANAGER,
        experience="Proficient",
        capacity="40",
        languages="English, Spanish",
        team="Hillside North",
    )
    kevin_link = _invite(page, PHARMACIST, discipline="Pharmacist")
    staff_rows = page.locator("table tbody tr")
    expect(staff_rows).to_have_count(4)
    expect(staff_rows.filter(has_text="Maria Lopez")).to_contain_text("Hillside North")
    expect(staff_rows.filter(has_text="Maria Lopez")).to_contain_text("English, Spanish")
    expect(staff_rows.filter(has_text="Maria Lopez").locator("td.num")).to_have_text("40")
    expect(staff_rows.filter(has_text="Kevin Tran")).to_contain_text("Pharmacist")
    expect(staff_rows.filter(has_text="invited")).to_have_count(3)

    # Each opens their link in a browser of their own.
    people = {}
    for person, path in ((SUPERVISOR, sam_link), (CASE_MANAGER, maria_link), (PHARMACIST, kevin_link)):
        people[person["username"]] = _choose_password(browser, base, path, person["username"], screenshot)
    sam_context, sam_page = people["sam.okafor"]
    expect(sam_page.get_by_role("heading", level=1)).to_contain_text("worklist")
    sam_context.close()
    # A link works once.
    page.goto(f"{base}{kevin_link}")
    expect(page.get_by_role("heading", level=1)).to_have_text("This link no longer works")

    # The checklist: every step done, and Ada's day now starts on the worklist.
    page.goto(f"{base}/setup/")
    expect(page.locator("ol.checklist > li.done")).to_have_count(3)
    expect(page.get_by_role("heading", level=2)).to_have_text("Ready for work")
    overflows["checklist"] = _both_sizes(page, screenshot, "checklist")
    page.goto(f"{base}/setup/staff/")
    expect(page.locator("table tbody tr").filter(has_text="invited")).to_have_count(0)
    overflows["staff"] = _both_sizes(page, screenshot, "staff")
    page.goto(f"{base}/")
    expect(page).to_have_url(re.compile(r"/worklist/$"))
    settle(page)
    ada_context.close()

    # --- Maria: register the CCM referral, enrol the case, add the pharmacist to the care team ------------------
    maria_context, page = people["maria.lopez"]
    expect(page).to_have_url(re.compile(r"/worklist/$"))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Patients").click()
    page.get_by_role("link", name="Register").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Register a patient")
    page.get_by_label("Given name").fill("Rosa")
    page.get_by_label("Family name").fill("Whitfield")
    page.get_by_label("Birth date").fill("1948-06-21")
    page.get_by_label("Sex (administrative)").select_option(label="Female")
    page.get_by_label("Phone", exact=True).fill("555-0123")
    page.get_by_label("Programme").select_option(label="Chronic care management")
    page.get_by_label("Referred by").select_option(label="Primary care provider")
    page.get_by_label("Reason for referral").fill(
        "Diabetes and COPD; eleven medicines from three prescribers"
    )
    page.get_by_role("button", name="Register and refer").click()
    expect(page.locator(".flash")).to_have_text("Rosa Whitfield is registered and referred.")
    expect(page.locator(".chart-header")).to_contain_text("Rosa Whitfield")
    settle(page)  # the page's badge request done before the test reads the shared SQLite database
    patient = Patient.objects.get(family_name="Whitfield")

    page.get_by_role("link", name="Chronic care management").first.click()
    page.locator("summary", has_text="Start screening").click()
    page.get_by_role("button", name="Start screening").click()
    expect(page.locator(".flash")).to_have_text("The case is now screening.")
    page.locator("summary", has_text="Record consent").click()
    page.get_by_label("How consent was given").select_option("verbal")
    page.get_by_role("button", name="Record consent").click()
    page.locator("summary", has_text="Enrol").click()
    page.get_by_role("button", name="Enrol").click()
    expect(page.locator(".flash")).to_have_text("The case is now active.")
    settle(page)

    page.get_by_role("link", name="Care team", exact=True).click()
    expect(page.get_by_role("heading", level=2, name="Care team of Rosa Whitfield")).to_be_visible()
    add = page.locator("#add")
    add.get_by_label("Member of staff").select_option(label="Kevin Tran")
    add.get_by_label("Kind of member").select_option(label="Pharmacist")
    add.get_by_label("Role on the team").fill("Clinical pharmacist, medication review")
    add.get_by_role("button", name="Add to the team").click()
    expect(page.locator(".flash")).to_have_text("Added to the care team.")
    expect(page.locator("table tbody tr", has_text="Kevin Tran")).to_contain_text("Clinical pharmacist")
    settle(page)
    maria_context.close()

    # --- Kevin: open the patient, log a call and time, see the medication form ----------------------------------
    kevin_context, page = people["kevin.tran"]
    expect(page).to_have_url(re.compile(r"/worklist/$"))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Patients").click()
    page.get_by_role("link", name="Whitfield, Rosa").click()
    expect(page.locator(".chart-header")).to_contain_text("Rosa Whitfield")

    page.get_by_role("link", name=re.compile(r"contact log$")).click()
    expect(page.get_by_role("heading", level=2, name="Contacts with Rosa Whitfield")).to_be_visible()
    page.get_by_role("radio", name="Yes, we spoke").check()
    page.get_by_label("Minutes").fill("20")
    page.get_by_label("Medicines").select_option(label="Missing some doses")
    page.get_by_label("Next steps").fill("Pill organiser on Friday; stop the duplicate statin")
    page.get_by_role("button", name="Save contact").click()
    expect(page.locator(".flash")).to_contain_text("Contact with Rosa Whitfield logged")
    overflows["contacts"] = _both_sizes(page, screenshot, "pharmacist-contacts")

    page.get_by_role("navigation", name="Patient").get_by_role("link", name="Time").click()
    page.get_by_label("Activity").select_option(label="Medication management")
    page.get_by_label("Minutes").fill("15")
    page.get_by_label("What was done").fill("Reconciled the three prescribers' lists")
    page.get_by_role("button", name="Log time").click()
    expect(page.locator(".flash")).to_have_text("15 minutes logged.")

    page.get_by_role("navigation", name="Patient").get_by_role("link", name="Medications").click()
    expect(page.get_by_role("heading", level=2, name="Add a medication")).to_be_visible()
    expect(page.get_by_role("button", name="Add medication")).to_be_visible()
    settle(page)
    kevin_context.close()

    # --- What the morning left in the database -----------------------------------------------------------------
    maria, kevin = User.objects.get(username="maria.lopez"), User.objects.get(username="kevin.tran")
    team = Team.objects.get(name="Hillside North")
    assert team.supervisor_id == User.objects.get(username="sam.okafor").pk and team.programs == ["ccm"]
    assert (maria.profile.team_id, maria.profile.caseload_capacity, maria.profile.experience_level) == (
        team.pk,
        40,
        "proficient",
    )
    assert maria.profile.languages == ["en", "es"]
    assert (kevin.role, kevin.profile.discipline) == ("care_team", "pharmacist")
    case = Case.objects.get(patient=patient)
    assert (case.status, case.program, case.primary_case_manager_id, case.team_id) == (
        "active",
        "ccm",
        maria.pk,
        team.pk,
    )
    assert CareTeamMember.objects.filter(patient=patient, user=kevin, end_date__isnull=True).exists()
    contact = Contact.objects.get(patient=patient)
    assert (contact.staff_id, contact.mode, contact.reached, contact.minutes) == (kevin.pk, "phone", True, 20)
    entry = TimeEntry.objects.get(patient=patient)
    assert (entry.staff_id, entry.minutes, entry.activity) == (kevin.pk, 15, "medication")
    org = Organization.objects.get()
    assert (org.phone, org.after_hours_phone) == ("555-0100", "555-0199")
    actors = set(AuditEvent.objects.values_list("user__username", flat=True))
    assert {"ada", "sam.okafor", "maria.lopez", "kevin.tran"} <= actors
    call_command("audit", "verify")
    print(f"\n[first morning] overflow {overflows}")
    assert all(seen["laptop"]["page"] == 0 for seen in overflows.values()), overflows
    assert all(seen["phone"]["page"] == 0 for seen in overflows.values()), overflows  # the top bar wraps
