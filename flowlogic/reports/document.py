"""A report as plain data: sections of paragraphs, lists, tables, figures and images.

Content is built once (`assessment.py`, `full.py`) and drawn twice (`html.py`, `pdf.py`),
so the HTML and the PDF of a report always say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass

# Tones map to colours in both renderers: good (green), warn (amber), bad (red), muted.
TONES = ("plain", "good", "warn", "bad", "muted")


@dataclass(frozen=True)
class Paragraph:
    text: str
    tone: str = "plain"
    bold: bool = False


@dataclass(frozen=True)
class Bullets:
    items: tuple[tuple[str, str], ...]  # (headline, detail); detail may be ""
    strong: bool = True  # headlines in bold


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...] = ()  # relative column widths; equal when empty
    numeric: tuple[int, ...] = ()  # column indexes aligned right


@dataclass(frozen=True)
class Figure:
    """A headline number with its label ("Score", "94 / 100", tone good)."""

    label: str
    value: str
    note: str = ""
    tone: str = "plain"


@dataclass(frozen=True)
class Figures:
    items: tuple[Figure, ...]


@dataclass(frozen=True)
class Image:
    png: bytes
    caption: str
    width_fraction: float = 1.0  # of the text width


Block = Paragraph | Bullets | Table | Figures | Image


@dataclass(frozen=True)
class Section:
    heading: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Report:
    title: str
    meta: tuple[tuple[str, str], ...]  # (label, value) shown under the title
    sections: tuple[Section, ...]
    footer: str  # the disclaimer, on every PDF page and at the end of the HTML
    file_stem: str  # the file name without extension
    generated: str = ""  # "Generated 2026-03-02 10:15"
