"""Showing a material's body: plain text with paragraphs, "- " list items and "## " headings. Everything is
escaped first, so a deployer's file can never put HTML (or a script) on a patient's screen."""

from __future__ import annotations

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


def _block(lines: list[str], level: int = 3) -> list[str]:
    """One block (lines between blank lines) as HTML pieces: headings (<h`level`>), runs of list items,
    paragraphs."""
    html: list[str] = []
    items: list[str] = []
    para: list[str] = []
    for line in [*lines, ""]:  # the empty sentinel closes what is open
        kind = "h" if line.startswith("## ") else "li" if line.startswith("- ") else "p" if line else ""
        if kind != "li" and items:
            html.append("<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>")
            items = []
        if kind != "p" and para:
            html.append("<p>" + " ".join(para) + "</p>")
            para = []
        if kind == "h":
            html.append(f"<h{level}>{escape(line[3:].strip())}</h{level}>")
        elif kind == "li":
            items.append(escape(line[2:].strip()))
        elif kind == "p":
            para.append(escape(line))
    return html


def render_body(text: str, level: int = 3) -> SafeString:
    html: list[str] = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        html += _block([line.strip() for line in block.split("\n") if line.strip()], level)
    return mark_safe("\n".join(html))  # every piece of text in it was escaped by _block


@register.filter(name="material_body")
def material_body(text: str, level: int = 3) -> SafeString:
    """`level`: the heading level of the body's "## " headings (2 where the material's title is the page's h1)."""
    return render_body(text or "", min(max(int(level), 2), 6))
