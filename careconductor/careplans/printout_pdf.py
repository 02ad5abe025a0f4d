"""The patient's copy as a PDF: lays out the texts printout.printable() wrote, in large type on Letter paper.
Nothing here decides what is said, so the PDF and the web page never differ."""

from __future__ import annotations

import functools
import io
import unicodedata
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from .printout import Item, Printable

INK = colors.HexColor("#111111")
BRAND = colors.HexColor("#0b4f78")  # app.css --brand, a shade darker for print: 8:1 on white
RULE = colors.HexColor("#8a99a8")
MARGIN = 0.75 * inch
BODY = 15
FOOTER_Y = 0.4 * inch

# Helvetica (a PDF standard font, so nothing is embedded) covers WinAnsi (cp1252): every Spanish letter and
# sign, but not, say, Vietnamese "ễ". Characters outside it would print as black boxes, so they are folded to
# their base letter ("Nguyễn" → "Nguyen", as such names are often written in US records) or, failing that,
# replaced by "?". The web page shows the real text.
_REPLACEMENTS = {"≤": "<=", "≥": ">=", "→": "->", "−": "-", "✓": "*", "☐": "[ ]"}


def pdf_text(text: str) -> str:
    out: list[str] = []
    for ch in text:
        if _encodable(ch):
            out.append(ch)
        elif ch in _REPLACEMENTS:
            out.append(_REPLACEMENTS[ch])
        else:
            base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
            out.append(base if base and _encodable(base) else "?")
    return "".join(out)


def _encodable(text: str) -> bool:
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def _p(text: str) -> str:
    """Text for a Paragraph: WinAnsi only, markup characters escaped."""
    return escape(pdf_text(text))


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle(
        "body", fontName="Helvetica", fontSize=BODY, leading=21, textColor=INK, alignment=TA_LEFT
    )
    return {
        "body": base,
        "note": ParagraphStyle("note", parent=base, spaceBefore=2),
        "title": ParagraphStyle(
            "title", parent=base, fontName="Helvetica-Bold", fontSize=24, leading=30, textColor=BRAND
        ),
        "plan": ParagraphStyle("plan", parent=base, fontSize=16, leading=22, spaceBefore=2),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontName="Helvetica-Bold",
            fontSize=22,
            leading=28,
            textColor=BRAND,
            spaceBefore=18,
            spaceAfter=6,
            keepWithNext=1,
        ),
        "goal": ParagraphStyle(
            "goal", parent=base, fontName="Helvetica-Bold", fontSize=20, leading=26, keepWithNext=1
        ),
        "h3": ParagraphStyle(
            "h3",
            parent=base,
            fontName="Helvetica-Bold",
            fontSize=17,
            leading=23,
            spaceBefore=10,
            spaceAfter=2,
            keepWithNext=1,
        ),
        "bullet": ParagraphStyle(
            "bullet", parent=base, leftIndent=24, bulletIndent=6, bulletFontSize=BODY, spaceAfter=6
        ),
        "box": ParagraphStyle("box", parent=base, fontName="Helvetica-Bold", fontSize=16, leading=22),
        "contact": ParagraphStyle("contact", parent=base, leading=20),
        "phone": ParagraphStyle(
            "phone", parent=base, fontName="Helvetica-Bold", fontSize=18, leading=24, alignment=TA_LEFT
        ),
    }


class _CheckBox(Flowable):
    """An empty square to tick a step off with a pen."""

    def __init__(self, size: float) -> None:
        super().__init__()
        self.size = size

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        return self.size, self.size

    def draw(self) -> None:
        self.canv.setStrokeColor(INK)
        self.canv.setLineWidth(1.6)
        self.canv.rect(0, 0, self.size, self.size, stroke=1, fill=0)


def _boxed(rows: list[list[Any]], *, border: Any, background: Any, width: float) -> Table:
    table = Table(rows, colWidths=[width])
    table.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 2, border),
                ("BACKGROUND", (0, 0), (-1, -1), background),
                ("LEFTPADDING", (0, 0), (-1, -1), 12),
                ("RIGHTPADDING", (0, 0), (-1, -1), 12),
                ("TOPPADDING", (0, 0), (-1, -1), 8),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 10),
            ]
        )
    )
    return table


def _item_text(item: Item) -> str:
    return _p(item.text) + (f"<br/>{_p(item.note)}" if item.note else "")


def _steps(items: tuple[Item, ...], s: dict[str, ParagraphStyle], width: float) -> list[Flowable]:
    """One small table per step, so a long list breaks between steps and its heading keeps only the first
    step with it (one table for all would be moved whole to the next page, leaving a gap)."""
    box = 15.0
    style = TableStyle(
        [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (0, -1), 4),
            ("LEFTPADDING", (1, 0), (1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            # The square sits on the first line of text (15pt type, 21pt leading).
            ("TOPPADDING", (0, 0), (0, -1), 4),
            ("TOPPADDING", (1, 0), (1, -1), 0),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
        ]
    )
    return [
        Table(
            [[_CheckBox(box), Paragraph(_item_text(i), s["body"])]],
            colWidths=[box + 16, width - box - 16],
            style=style,
        )
        for i in items
    ]


def _bullets(items: tuple[Item, ...], s: dict[str, ParagraphStyle]) -> list[Flowable]:
    return [Paragraph(_item_text(i), s["bullet"], bulletText="•") for i in items]


def _story(p: Printable, width: float) -> list[Flowable]:
    s = _styles()
    w = p.words
    story: list[Flowable] = [
        Paragraph(_p(p.heading), s["title"]),
        Paragraph(_p(p.plan_title), s["plan"]),
        Paragraph(_p(p.dated), s["plan"]),
        Spacer(1, 10),
    ]
    if p.notice:
        story += [
            _boxed(
                [[Paragraph(_p(p.notice), s["box"])]],
                border=colors.HexColor("#a3231f"),
                background=colors.HexColor("#fde8e7"),
                width=width,
            ),
            Spacer(1, 8),
        ]
    if p.agreed:
        agreement = _boxed(
            [[Paragraph(_p(p.agreement), s["box"])]],
            border=colors.HexColor("#1f7a3d"),
            background=colors.HexColor("#e6f4ea"),
            width=width,
        )
    else:
        agreement = _boxed(
            [[Paragraph(_p(p.agreement), s["box"])]],
            border=colors.HexColor("#8a5a00"),
            background=colors.HexColor("#fff4d6"),
            width=width,
        )
    story += [agreement, Spacer(1, 10), Paragraph(_p(w.intro), s["body"])]

    story.append(Paragraph(_p(w.goals), s["h2"]))
    if not p.goals:
        story.append(Paragraph(_p(w.no_goals), s["body"]))
    for goal in p.goals:
        head: list[Flowable] = [
            Spacer(1, 6),
            Paragraph(f"{_p(goal.heading)}: {_p(goal.words)}", s["goal"]),
        ]
        for line in (goal.reached, goal.target, goal.due):
            if line:
                head.append(Paragraph(_p(line), s["note"]))
        story.append(KeepTogether(head))
        if goal.steps:
            story += [Paragraph(_p(w.steps), s["h3"]), *_steps(goal.steps, s, width)]
        if goal.mine:
            story += [Paragraph(_p(w.mine), s["h3"]), *_bullets(goal.mine, s)]
        if goal.team:
            story += [Paragraph(_p(w.team), s["h3"]), *_bullets(goal.team, s)]
        story.append(Spacer(1, 8))
    if p.other_mine or p.other_team:
        story.append(Paragraph(_p(w.other), s["h2"]))
        if p.other_mine:
            story += [Paragraph(_p(w.mine), s["h3"]), *_bullets(p.other_mine, s)]
        if p.other_team:
            story += [Paragraph(_p(w.team), s["h3"]), *_bullets(p.other_team, s)]

    calls: list[Flowable] = [Paragraph(_p(w.call), s["h2"]), Paragraph(_p(w.questions), s["body"])]
    rows = []
    for c in p.contacts:
        who = f"<b>{_p(c.role)}</b><br/>{_p(c.name)}" + (f" ({_p(c.detail)})" if c.detail else "")
        rows.append([Paragraph(who, s["contact"]), Paragraph(_p(c.phone), s["phone"])])
    if rows:
        table = Table(rows, colWidths=[width * 0.62, width * 0.38])
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.75, RULE),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("TOPPADDING", (0, 0), (-1, -1), 8),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 10),
                ]
            )
        )
        calls += [Spacer(1, 6), table]
    calls += [
        Spacer(1, 14),
        _boxed(
            [[Paragraph(_p(p.emergency), s["box"])]],
            border=colors.HexColor("#a3231f"),
            background=colors.HexColor("#fde8e7"),
            width=width,
        ),
    ]
    # Who to call stays on one page where it fits, so that page can be kept by the phone.
    story.append(KeepTogether(calls))
    return story


class _PagedCanvas(Canvas):
    """Holds every page back until the end, so the footer can say "Page 1 of 3"."""

    def __init__(self, *args: Any, printout: Printable, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._printout = printout
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._decorate(number, total)
            super().showPage()
        super().save()

    def _decorate(self, number: int, total: int) -> None:
        p = self._printout
        width, height = self._pagesize
        self.saveState()
        self.setFillColor(INK)
        self.setFont("Helvetica", 14)
        self.drawString(MARGIN, FOOTER_Y, pdf_text(p.patient_name))
        self.drawRightString(
            width - MARGIN, FOOTER_Y, pdf_text(p.words.page % {"page": number, "pages": total})
        )
        self.setStrokeColor(RULE)
        self.setLineWidth(0.75)
        self.line(MARGIN, FOOTER_Y + 20, width - MARGIN, FOOTER_Y + 20)
        if p.draft:
            # In the top margin of every page, so a loose page still says it is not the plan in force.
            label = pdf_text(p.words.draft_mark)
            self.setFont("Helvetica-Bold", 18)
            text_width = self.stringWidth(label, "Helvetica-Bold", 18)
            x, y = width - MARGIN - text_width - 16, height - MARGIN + 10
            self.setStrokeColor(colors.HexColor("#a3231f"))
            self.setLineWidth(2)
            self.rect(x, y, text_width + 16, 28, stroke=1, fill=0)
            self.setFillColor(colors.HexColor("#a3231f"))
            self.drawString(x + 8, y + 8, label)
        self.restoreState()


def render_pdf(p: Printable) -> bytes:
    """The printout as a Letter-size PDF in large type."""
    buffer = io.BytesIO()
    doc = BaseDocTemplate(
        buffer,
        pagesize=LETTER,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=p.heading,
        subject=p.plan_title,
        author=p.organization,
        creator="CareConductor",
        lang=p.language,
        displayDocTitle=True,
    )
    # No frame padding: boxes and tables as wide as the text, all within the 0.75in margins.
    frame = Frame(
        doc.leftMargin,
        doc.bottomMargin,
        doc.width,
        doc.height,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
        id="text",
    )
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    doc.build(_story(p, doc.width), canvasmaker=functools.partial(_PagedCanvas, printout=p))
    return buffer.getvalue()
