"""A report as an A4 PDF with fpdf2 (pure Python: a fresh machine needs no system library).

Text is set in DejaVu Sans, the TrueType font that ships inside matplotlib, so any
Unicode the content carries ("·", "—", "≥", accented names) prints. Without that font
the PDF falls back to the core Helvetica font and the text is folded to Latin-1.
"""

from __future__ import annotations

import importlib.util
import io
import unicodedata
from pathlib import Path

from flowlogic.reports.document import (
    Block,
    Bullets,
    Figures,
    Image,
    Paragraph,
    Report,
    Table,
)

MARGIN_MM = 16.0
FOOTER_MM = 18.0
BODY_PT = 10.0
LINE_MM = 5.0
MIN_SPACE_AFTER_HEADING_MM = 28.0
ACCENT = (42, 111, 151)
TONE_RGB = {
    "plain": (31, 41, 51),
    "good": (30, 127, 60),
    "warn": (168, 100, 0),
    "bad": (180, 35, 24),
    "muted": (95, 107, 122),
}
_LATIN1_FOLDS = {
    "—": "-",
    "–": "-",
    "≥": ">=",
    "≤": "<=",
    "→": "->",
    "’": "'",
    "‘": "'",
    "“": '"',
    "”": '"',
    "…": "...",
    "•": "-",
    "✓": "v",
    "✗": "x",
}


def bundled_font_paths() -> tuple[Path, Path] | None:
    """DejaVu Sans regular and bold from matplotlib's data folder (found without
    importing matplotlib), or None when either file is missing."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "mpl-data" / "fonts" / "ttf"
    regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
    return (regular, bold) if regular.is_file() and bold.is_file() else None


def fold_to_latin1(text: str) -> str:
    """Text the core PDF fonts can print: known symbols spelled out, accents kept where
    Latin-1 has them, anything else replaced by '?'."""
    out = []
    for char in text:
        char = _LATIN1_FOLDS.get(char, char)
        try:
            char.encode("latin-1")
        except UnicodeEncodeError:
            base = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
            char = base or "?"
        out.append(char)
    return "".join(out)


def render(report: Report, *, use_bundled_font: bool = True) -> bytes:
    writer = _Writer(report, bundled_font_paths() if use_bundled_font else None)
    return writer.build()


class _Writer:
    def __init__(self, report: Report, fonts: tuple[Path, Path] | None) -> None:
        from fpdf import FPDF

        self.report = report
        outer = self

        class _PDF(FPDF):
            def footer(self) -> None:  # fpdf2 calls this on every page
                outer._footer()

        pdf = _PDF(orientation="portrait", unit="mm", format="A4")
        if fonts:
            pdf.add_font("DejaVu", "", str(fonts[0]))
            pdf.add_font("DejaVu", "B", str(fonts[1]))
        self.family = "DejaVu" if fonts else "Helvetica"
        self.unicode = fonts is not None
        pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
        pdf.set_auto_page_break(True, margin=FOOTER_MM + 4)
        pdf.set_title(self._t(report.title))
        pdf.set_creator("Flow Logic")
        pdf.set_author("Flow Logic")
        self.pdf = pdf

    # -- text helpers ---------------------------------------------------------------------
    def _t(self, text: str) -> str:
        return text if self.unicode else fold_to_latin1(text)

    def _font(self, size: float = BODY_PT, bold: bool = False) -> None:
        self.pdf.set_font(self.family, "B" if bold else "", size)

    def _colour(self, tone: str = "plain") -> None:
        self.pdf.set_text_color(*TONE_RGB.get(tone, TONE_RGB["plain"]))

    def _lines(
        self,
        text: str,
        *,
        size: float = BODY_PT,
        bold: bool = False,
        tone: str = "plain",
        indent: float = 0.0,
        line: float = LINE_MM,
    ) -> None:
        from fpdf.enums import XPos, YPos

        self._font(size, bold)
        self._colour(tone)
        self.pdf.set_x(self.pdf.l_margin + indent)
        self.pdf.multi_cell(
            self.pdf.epw - indent,
            line,
            self._t(text),
            align="L",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )

    @property
    def _space_left(self) -> float:
        return self.pdf.page_break_trigger - self.pdf.get_y()

    # -- page parts -----------------------------------------------------------------------
    def _footer(self) -> None:
        pdf = self.pdf
        pdf.set_y(-FOOTER_MM)
        pdf.set_draw_color(217, 226, 236)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
        pdf.ln(1.5)
        self._font(7.5)
        self._colour("muted")
        pdf.multi_cell(pdf.epw - 22, 3.6, self._t(self.report.footer), align="L")
        pdf.set_xy(pdf.w - pdf.r_margin - 20, -FOOTER_MM + 1.5)
        pdf.cell(20, 3.6, f"{pdf.page_no()} / {{nb}}", align="R")

    def _header(self) -> None:
        pdf = self.pdf
        self._lines(self.report.title, size=17, bold=True, tone="plain", line=8)
        pdf.set_draw_color(*ACCENT)
        pdf.set_line_width(0.8)
        pdf.line(pdf.l_margin, pdf.get_y() + 1, pdf.w - pdf.r_margin, pdf.get_y() + 1)
        pdf.set_line_width(0.2)
        pdf.ln(4)
        label_w = 24.0
        for label, value in self.report.meta:
            y = pdf.get_y()
            self._font(BODY_PT, bold=True)
            self._colour("muted")
            pdf.set_xy(pdf.l_margin, y)
            pdf.cell(label_w, LINE_MM, self._t(label))
            self._lines(value, indent=label_w)
        pdf.ln(2)

    def _heading(self, text: str, first_block: Block | None) -> None:
        """A section heading, moved to a new page when it would end up alone at the
        bottom, or when a small first block (figures, a short table, an image) would be
        split from it."""
        pdf = self.pdf
        needed = MIN_SPACE_AFTER_HEADING_MM
        if first_block is not None:
            needed = max(needed, 14 + self._height_of(first_block))
        fits_on_fresh_page = needed < pdf.page_break_trigger - pdf.t_margin
        if self._space_left < needed and (fits_on_fresh_page or self._space_left < 28):
            pdf.add_page()
        pdf.ln(3)
        self._font(12.5, bold=True)
        pdf.set_text_color(*ACCENT)
        pdf.cell(0, 7, self._t(text), new_x="LMARGIN", new_y="NEXT")
        pdf.set_draw_color(217, 226, 236)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
        pdf.ln(2)

    # -- blocks ---------------------------------------------------------------------------
    def _height_of(self, block: Block) -> float:
        """A close estimate of the height a block takes (mm), to keep it with its heading."""
        pdf = self.pdf
        if isinstance(block, Figures):
            return 24.0
        if isinstance(block, Image):
            with _pil_open(block.png) as picture:
                px_w, px_h = picture.size
            return pdf.epw * block.width_fraction * px_h / px_w + 8
        if isinstance(block, Table):
            self._font(9)
            widths = block.widths or tuple(1.0 for _ in block.columns)
            scale = pdf.epw / sum(widths)
            total = 0.0
            for row in (block.columns, *block.rows):
                lines = max(
                    1 + int(pdf.get_string_width(self._t(value)) // max(1.0, w * scale - 2.4))
                    for value, w in zip(row, widths, strict=False)
                )
                total += lines * 4.8 + 2.4
            return total + 2
        if isinstance(block, Bullets):
            return 12.0 * min(len(block.items), 2)
        return 2 * LINE_MM

    def _block(self, block: Block) -> None:
        if isinstance(block, Paragraph):
            self._lines(block.text, bold=block.bold, tone=block.tone)
            self.pdf.ln(1.5)
        elif isinstance(block, Bullets):
            self._bullets(block)
        elif isinstance(block, Table):
            self._table(block)
        elif isinstance(block, Figures):
            self._figures(block)
        elif isinstance(block, Image):
            self._image(block)
        else:
            raise TypeError(f"unknown report block {type(block).__name__}")

    def _keep_with_next(self, lead: Paragraph, following: tuple[Block, ...]) -> None:
        """A bold lead-in paragraph (a sub-heading) starts a new page rather than end one:
        it needs room for itself and the start of what follows."""
        needed = 2 * LINE_MM + sum(min(self._height_of(b), 30.0) for b in following)
        if self._space_left < needed:
            self.pdf.add_page()

    def _bullets(self, block: Bullets) -> None:
        pdf = self.pdf
        for head, detail in block.items:
            if self._space_left < 12:
                pdf.add_page()
            y = pdf.get_y()
            self._font(BODY_PT, bold=True)
            self._colour("plain")
            pdf.set_xy(pdf.l_margin + 1, y)
            pdf.cell(4, LINE_MM, self._t("•"))
            self._lines(head, bold=block.strong, indent=5)
            if detail:
                self._lines(detail, tone="muted", indent=5, size=9.5, line=4.6)
            pdf.ln(1.2)

    def _figures(self, block: Figures) -> None:
        pdf = self.pdf
        count = max(1, len(block.items))
        gap = 4.0
        width = (pdf.epw - gap * (count - 1)) / count
        height = 21.0
        if self._space_left < height + 2:
            pdf.add_page()
        top = pdf.get_y()
        for index, figure in enumerate(block.items):
            x = pdf.l_margin + index * (width + gap)
            pdf.set_draw_color(217, 226, 236)
            pdf.set_fill_color(248, 250, 252)
            pdf.rect(x, top, width, height, style="DF")
            pdf.set_xy(x + 3, top + 2)
            self._font(7.5, bold=True)
            self._colour("muted")
            pdf.cell(width - 6, 4, self._t(figure.label.upper()))
            pdf.set_xy(x + 3, top + 6.5)
            self._font(15, bold=True)
            self._colour(figure.tone)
            pdf.cell(width - 6, 7.5, self._t(figure.value))
            if figure.note:
                pdf.set_xy(x + 3, top + 14.5)
                self._font(8.5)
                self._colour("muted")
                pdf.cell(width - 6, 4.5, self._t(figure.note))
        pdf.set_xy(pdf.l_margin, top + height + 3)

    def _table(self, block: Table) -> None:
        from fpdf.fonts import FontFace

        pdf = self.pdf
        if self._space_left < 20:
            pdf.add_page()
        widths = block.widths or tuple(1.0 for _ in block.columns)
        aligns = tuple("RIGHT" if i in block.numeric else "LEFT" for i in range(len(widths)))
        self._font(9)
        self._colour("plain")
        pdf.set_draw_color(217, 226, 236)
        with pdf.table(
            col_widths=widths,
            text_align=aligns,
            line_height=4.8,
            padding=1.2,
            borders_layout="HORIZONTAL_LINES",
            headings_style=FontFace(emphasis="BOLD", fill_color=(232, 238, 244)),
            cell_fill_color=(246, 248, 250),
            cell_fill_mode="ROWS",
            width=pdf.epw,
        ) as table:
            heading = table.row()
            for column in block.columns:
                heading.cell(self._t(column))
            for values in block.rows:
                row = table.row()
                for value in values:
                    row.cell(self._t(value))
        pdf.ln(2)

    def _image(self, block: Image) -> None:
        pdf = self.pdf
        with _pil_open(block.png) as picture:
            px_w, px_h = picture.size
        width = pdf.epw * block.width_fraction
        height = width * px_h / px_w
        if self._space_left < height + 8:
            pdf.add_page()
        x = pdf.l_margin + (pdf.epw - width) / 2
        pdf.image(io.BytesIO(block.png), x=x, y=pdf.get_y(), w=width, h=height)
        pdf.set_y(pdf.get_y() + height + 1)
        self._lines(block.caption, size=8.5, tone="muted")
        pdf.ln(2)

    def build(self) -> bytes:
        pdf = self.pdf
        pdf.alias_nb_pages()
        pdf.add_page()
        self._header()
        for section in self.report.sections:
            self._heading(section.heading, section.blocks[0] if section.blocks else None)
            for index, block in enumerate(section.blocks):
                following = section.blocks[index + 1 : index + 3]
                if isinstance(block, Paragraph) and block.bold and following:
                    self._keep_with_next(block, following)
                self._block(block)
        if self.report.generated:
            pdf.ln(3)
            self._lines(self.report.generated, size=8, tone="muted")
        return bytes(pdf.output())


def _pil_open(png: bytes):
    from PIL import Image as PILImage

    return PILImage.open(io.BytesIO(png))
