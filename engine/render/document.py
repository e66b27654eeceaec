"""A minimal document model, so one handbook renders to both Markdown and self-contained HTML."""

from __future__ import annotations

import html
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Heading:
    level: int
    text: str


@dataclass(frozen=True, slots=True)
class Paragraph:
    text: str


@dataclass(frozen=True, slots=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class Bars:
    """Figures to compare at a glance: (label, value, the value as text). A bar chart with its
    values and a scale in HTML; a table with text bars in Markdown. Shares (`percent`) are drawn
    on a scale of 0 to 100%."""

    items: tuple[tuple[str, float, str], ...]
    header: tuple[str, str]
    """What the labels are and what the values are, for the Markdown table."""
    percent: bool = False

    @property
    def top(self) -> float:
        return 1.0 if self.percent else max((value for _, value, _ in self.items), default=0) or 1

    def table(self) -> Table:
        return Table(
            (*self.header, ""),
            tuple((label, text, "█" * round(20 * value / self.top)) for label, value, text in self.items),
        )


Block = Heading | Paragraph | Bullets | Table | Bars


def to_markdown(blocks: list[Block]) -> str:
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            out.append(f"{'#' * block.level} {block.text}")
        elif isinstance(block, Paragraph):
            out.append(block.text)
        elif isinstance(block, Bullets):
            out.append("\n".join(f"- {item}" for item in block.items))
        else:
            block = block.table() if isinstance(block, Bars) else block
            lines = [_row(block.header), _row(tuple("---" for _ in block.header))]
            lines += [_row(row) for row in block.rows]
            out.append("\n".join(lines))
    return "\n\n".join(out) + "\n"


def _row(cells: tuple[str, ...]) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|").replace("\n", " ") for cell in cells) + " |"


_STYLE = """
body { font-family: system-ui, "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei",
       sans-serif; max-width: 72rem; margin: 2rem auto; padding: 0 1rem; color: #1d2330; line-height: 1.5; }
svg text { font-size: 12px; fill: #2d3748; }
h1 { border-bottom: 2px solid #2b6cb0; padding-bottom: .3rem; }
h2 { margin-top: 2.5rem; color: #2b6cb0; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; font-size: .92rem; }
th, td { border: 1px solid #cbd5e0; padding: .35rem .5rem; text-align: left; vertical-align: top; }
th { background: #edf2f7; }
"""


def to_html(blocks: list[Block], title: str, lang: str) -> str:
    body: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            body.append(f"<h{block.level}>{html.escape(block.text)}</h{block.level}>")
        elif isinstance(block, Paragraph):
            body.append(f"<p>{html.escape(block.text)}</p>")
        elif isinstance(block, Bullets):
            items = "".join(f"<li>{html.escape(item)}</li>" for item in block.items)
            body.append(f"<ul>{items}</ul>")
        elif isinstance(block, Bars):
            body.append(_svg_bars(block))
        else:
            head = "".join(f"<th>{html.escape(cell)}</th>" for cell in block.header)
            rows = "".join(
                "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>"
                for row in block.rows
            )
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
    return (
        f'<!DOCTYPE html>\n<html lang="{html.escape(lang)}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


BAR_LEFT = 220
BAR_WIDTH = 400


def _svg_bars(block: Bars) -> str:
    """Bars on a scale from zero, with ticks at round numbers and each bar's value beside it."""
    top = block.top
    ticks = _ticks(top, block.percent)
    height = 24 * len(block.items) + 24
    parts = []
    for tick in ticks:
        x = BAR_LEFT + BAR_WIDTH * tick / top
        text = f"{tick:.0%}" if block.percent else f"{tick:g}"
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="0" y2="{height - 18}" stroke="#e2e8f0"/>'
            f'<text x="{x:.1f}" y="{height - 4}" text-anchor="middle" fill="#4a5568">{text}</text>'
        )
    for index, (label, value, text) in enumerate(block.items):
        y = index * 24
        width = BAR_WIDTH * value / top
        short = label if len(label) <= 24 else label[:23] + "…"
        parts.append(
            f'<text x="0" y="{y + 16}"><title>{html.escape(label)}</title>{html.escape(short)}</text>'
            f'<rect class="bar" x="{BAR_LEFT}" y="{y + 4}" width="{width:.1f}" height="16" fill="#2b6cb0"/>'
            f'<text x="{BAR_LEFT + 6 + width:.1f}" y="{y + 16}">{html.escape(text)}</text>'
        )
    return f'<svg class="bars" width="{BAR_LEFT + BAR_WIDTH + 90}" height="{height}">{"".join(parts)}</svg>'


def _ticks(top: float, percent: bool) -> list[float]:
    """Round steps from zero to `top`: at most five or six of them."""
    if percent:
        return [0.0, 0.25, 0.5, 0.75, 1.0]
    step = 1.0
    while top / step > 5:
        step *= 5 if str(step)[0] == "2" else 2
    return [step * k for k in range(int(top // step) + 1)]
