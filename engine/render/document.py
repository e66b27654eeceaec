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
    """Counts to compare at a glance: a bar chart in HTML, a table with text bars in Markdown."""

    items: tuple[tuple[str, float], ...]

    def table(self) -> Table:
        top = max((value for _, value in self.items), default=0) or 1
        return Table(
            ("", "", ""),
            tuple((label, f"{value:g}", "█" * round(20 * value / top)) for label, value in self.items),
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
body { font-family: system-ui, "Noto Sans CJK SC", sans-serif; max-width: 72rem; margin: 2rem auto;
       padding: 0 1rem; color: #1d2330; line-height: 1.5; }
h1 { border-bottom: 2px solid #2b6cb0; padding-bottom: .3rem; }
h2 { margin-top: 2.5rem; color: #2b6cb0; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; font-size: .92rem; }
th, td { border: 1px solid #cbd5e0; padding: .35rem .5rem; text-align: left; vertical-align: top; }
th { background: #edf2f7; }
"""


def to_html(blocks: list[Block], title: str) -> str:
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
        '<!DOCTYPE html>\n<html lang="zh">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def _svg_bars(block: Bars) -> str:
    top = max((value for _, value in block.items), default=0) or 1
    rows = []
    for index, (label, value) in enumerate(block.items):
        y = index * 24
        width = 400 * value / top
        rows.append(
            f'<text x="0" y="{y + 16}">{html.escape(label)}</text>'
            f'<rect class="bar" x="200" y="{y + 4}" width="{width:.1f}" height="16" fill="#2b6cb0"/>'
            f'<text x="{206 + width:.1f}" y="{y + 16}">{value:g}</text>'
        )
    return f'<svg class="bars" width="680" height="{24 * len(block.items) + 4}">{"".join(rows)}</svg>'
