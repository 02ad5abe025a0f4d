"""A letter as a PDF on Letter paper: the letterhead, the date, the address block, the subject and the body as
kept with the letter (models.Letter). Nothing here decides what is said, so the PDF and the page never differ."""

from __future__ import annotations

import io
from collections.abc import Sequence
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from careconductor.careplans.printout_pdf import pdf_text

from . import rules
from .models import Letter

INK = colors.HexColor("#111111")
BRAND = colors.HexColor("#0b4f78")
MARGIN = 0.85 * inch
BODY = 13


def _p(text: str) -> str:
    """Text for a Paragraph: WinAnsi only (careplans.printout_pdf.pdf_text), markup characters escaped."""
    return escape(pdf_text(text))


def _lines(lines: list[str]) -> str:
    return "<br/>".join(_p(line) for line in lines)


def _styles() -> dict[str, ParagraphStyle]:
    body = ParagraphStyle(
        "body", fontName="Helvetica", fontSize=BODY, leading=18, textColor=INK, spaceAfter=10
    )
    return {
        "body": body,
        "org": ParagraphStyle(
            "org", parent=body, fontName="Helvetica-Bold", fontSize=18, leading=22, textColor=BRAND
        ),
        "numbers": ParagraphStyle("numbers", parent=body, fontSize=11, leading=14, alignment=2, spaceAfter=0),
        "subject": ParagraphStyle("subject", parent=body, fontName="Helvetica-Bold", spaceBefore=4),
    }


def _story(letter: Letter, width: float) -> list[Flowable]:
    s = _styles()
    head = letter.letterhead
    numbers = []
    if head.get("phone"):
        numbers.append(f"{head.get('word_phone', 'Phone')}: {head['phone']}")
    if head.get("after_hours_phone"):
        numbers.append(f"{head.get('word_after_hours', 'Nights and weekends')}: {head['after_hours_phone']}")
    letterhead = Table(
        [
            [
                [Paragraph(_p(head.get("organisation", "")), s["org"])]
                + ([Paragraph(_p(head["address"]), s["numbers"])] if head.get("address") else []),
                Paragraph(_lines(numbers), s["numbers"]),
            ]
        ],
        colWidths=[width * 0.55, width * 0.45],
        style=TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
                ("LINEBELOW", (0, 0), (-1, 0), 2.5, BRAND),
            ]
        ),
    )
    story: list[Flowable] = [letterhead, Spacer(1, 18), Paragraph(_p(head.get("date", "")), s["body"])]
    if letter.recipient_name:
        address = [letter.recipient_name, *letter.recipient_address.splitlines()]
        story += [Spacer(1, 6), Paragraph(_lines(address), s["body"]), Spacer(1, 6)]
    story.append(Paragraph(_p(f"{head.get('word_subject', 'About')}: {letter.subject}"), s["subject"]))
    story += [Paragraph(_lines(lines), s["body"]) for lines in rules.paragraphs(letter.body)]
    return story


def _footer(canvas: Canvas, doc: BaseDocTemplate) -> None:
    canvas.saveState()
    canvas.setFont("Helvetica", 9)
    canvas.setFillColor(INK)
    canvas.drawRightString(LETTER[0] - MARGIN, 0.45 * inch, str(canvas.getPageNumber()))
    canvas.restoreState()


def render_pdf(letter: Letter) -> bytes:
    return render_batch([letter])


def render_batch(letters: Sequence[Letter]) -> bytes:
    """Letters one after another, each from a new page (a campaign's print run); one letter is the chart's PDF."""
    letter = letters[0]
    buffer = io.BytesIO()
    doc = BaseDocTemplate(
        buffer,
        pagesize=LETTER,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=0.7 * inch,
        bottomMargin=0.8 * inch,
        title=pdf_text(letter.subject),
        author=pdf_text(letter.letterhead.get("organisation", "")),
        lang=letter.language,
    )
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body")
    doc.addPageTemplates([PageTemplate(id="letter", frames=[frame], onPage=_footer)])
    story: list[Flowable] = []
    for n, each in enumerate(letters):
        story += ([PageBreak()] if n else []) + _story(each, doc.width)
    doc.build(story)
    return buffer.getvalue()
