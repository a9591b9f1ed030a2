"""A report as one self-contained HTML page (inline CSS, images as data URIs, printable)."""

from __future__ import annotations

import base64
from html import escape

from flowlogic.reports.document import (
    Block,
    Bullets,
    Figures,
    Image,
    Paragraph,
    Report,
    Table,
)

TONE_COLOURS = {
    "plain": "#1f2933",
    "good": "#1e7f3c",
    "warn": "#a86400",
    "bad": "#b42318",
    "muted": "#5f6b7a",
}

_CSS = """
body { font-family: "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif; color: #1f2933;
       max-width: 820px; margin: 2rem auto; padding: 0 1rem; line-height: 1.45; }
header { border-bottom: 3px solid #2a6f97; margin-bottom: 1rem; }
h1 { font-size: 1.6rem; margin: 0 0 .4rem; color: #2a6f97; }
h2 { font-size: 1.15rem; margin: 1.6rem 0 .5rem; border-bottom: 1px solid #d9e2ec; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem;
          margin: 0 0 .8rem; }
dl.meta dt { font-weight: bold; } dl.meta dd { margin: 0; }
.figures { display: flex; gap: 1rem; flex-wrap: wrap; }
.figure { border: 1px solid #d9e2ec; border-radius: 6px; padding: .5rem .9rem; min-width: 9rem; }
.figure .label { font-size: .8rem; color: #5f6b7a; text-transform: uppercase; }
.figure .value { font-size: 1.5rem; font-weight: bold; }
.figure .note { font-size: .85rem; color: #5f6b7a; }
table { border-collapse: collapse; width: 100%; margin: .3rem 0; font-size: .92rem; }
th, td { border-bottom: 1px solid #e4e7eb; padding: .3rem .5rem; text-align: left;
         vertical-align: top; }
th { background: #f0f4f8; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
ul { padding-left: 1.2rem; } li { margin: .25rem 0; } li .detail { color: #3e4c59; }
figure.image { margin: .6rem 0; } figure.image img { max-width: 100%; }
figcaption { font-size: .85rem; color: #5f6b7a; }
footer { margin-top: 2rem; padding-top: .6rem; border-top: 1px solid #d9e2ec; font-size: .85rem;
         color: #5f6b7a; }
.generated { font-size: .8rem; color: #5f6b7a; }
"""


def render(report: Report) -> str:
    meta = "".join(
        f"<dt>{escape(label)}</dt><dd>{escape(value)}</dd>" for label, value in report.meta
    )
    body = "".join(
        f"<section><h2>{escape(s.heading)}</h2>{''.join(_block(b) for b in s.blocks)}</section>"
        for s in report.sections
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(report.title)}</title><style>{_CSS}</style></head><body>"
        f'<header><h1>{escape(report.title)}</h1><dl class="meta">{meta}</dl></header>'
        f"<main>{body}</main>"
        f"<footer><p>{escape(report.footer)}</p>"
        f'<p class="generated">{escape(report.generated)}</p></footer>'
        "</body></html>\n"
    )


def _block(block: Block) -> str:
    if isinstance(block, Paragraph):
        style = f"color:{TONE_COLOURS.get(block.tone, TONE_COLOURS['plain'])}"
        weight = ";font-weight:bold" if block.bold else ""
        return f'<p style="{style}{weight}">{escape(block.text)}</p>'
    if isinstance(block, Bullets):
        tag = "strong" if block.strong else "span"
        items = "".join(
            f"<li><{tag}>{escape(head)}</{tag}>"
            + (f'<br><span class="detail">{escape(detail)}</span>' if detail else "")
            + "</li>"
            for head, detail in block.items
        )
        return f"<ul>{items}</ul>"
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, Figures):
        cards = "".join(
            '<div class="figure">'
            f'<div class="label">{escape(f.label)}</div>'
            f'<div class="value" style="color:{TONE_COLOURS.get(f.tone, "#1f2933")}">'
            f"{escape(f.value)}</div>"
            + (f'<div class="note">{escape(f.note)}</div>' if f.note else "")
            + "</div>"
            for f in block.items
        )
        return f'<div class="figures">{cards}</div>'
    if isinstance(block, Image):
        data = base64.b64encode(block.png).decode("ascii")
        width = f"{block.width_fraction * 100:.0f}%"
        return (
            f'<figure class="image"><img style="width:{width}" alt="{escape(block.caption)}" '
            f'src="data:image/png;base64,{data}"><figcaption>{escape(block.caption)}'
            "</figcaption></figure>"
        )
    raise TypeError(f"unknown report block {type(block).__name__}")


def _table(table: Table) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in table.columns)
    rows = []
    for row in table.rows:
        cells = "".join(
            f'<td class="num">{escape(v)}</td>' if i in table.numeric else f"<td>{escape(v)}</td>"
            for i, v in enumerate(row)
        )
        rows.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
