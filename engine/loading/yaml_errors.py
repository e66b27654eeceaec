"""YAML syntax errors in the words of the mistake people make, and what to do about it.

PyYAML says where the parser gave up and why in the parser's words ("found character that cannot
start any token", "did not find expected key", "mapping values are not allowed in this context"),
which differ between libyaml and the pure-Python parser. The commonest causes are few: a tab in the
indentation, a line indented to a column no block above it uses, a value holding `: ` without quotes,
a key indented under the value before it, a `{ }` or `[ ]` left open, a quote left open. Each is
recognised from the error and the text, and said with the fix; anything else keeps PyYAML's words.
"""

from __future__ import annotations

import yaml


def explain(error: yaml.MarkedYAMLError, text: str) -> tuple[int, int, str]:
    """(line, column, message) for a syntax error in `text`, both 1-based."""
    mark = error.problem_mark or error.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem, context = error.problem or "", error.context or ""
    lines = text.split("\n")
    here = lines[line - 1] if 0 < line <= len(lines) else ""
    found = here[column - 1] if 0 < column <= len(here) else ""
    opened = error.context_mark
    if found == "\t" or "'\\t'" in problem:
        return line, column, "a tab character: YAML indents with spaces only; replace the tab with spaces"
    if "mapping values are not allowed" in problem:
        return line, column, _colon(lines, line, column)
    if "flow mapping" in context or "flow sequence" in context:
        if found == ":" and opened is not None and opened.line + 1 == line:
            return line, column, "a ': ' inside a value between { }: put the value in quotes, as in \"a: b\""
        bracket, close = ("{", "}") if "mapping" in context else ("[", "]")
        where = f" that opens at line {opened.line + 1}, column {opened.column + 1}" if opened else ""
        return line, column, f"the '{bracket}'{where} is not closed: add '{close}' (and ',' between items)"
    if "quoted scalar" in context and opened is not None:
        return (
            opened.line + 1,
            opened.column + 1,
            "this quoted text is never closed: add its closing quote",
        )
    if "expected key" in problem or "expected <block end>" in problem:
        return line, column, _indentation(lines, line, column)
    return line, column, f"YAML syntax: {problem or context or 'invalid YAML'}"


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip(" ")) + 1


def _previous(lines: list[str], line: int) -> tuple[int, str] | None:
    """The last line before `line` (1-based) with content."""
    for number in range(line - 1, 0, -1):
        content = lines[number - 1]
        if content.strip() and not content.lstrip().startswith("#"):
            return number, content
    return None


def _indentation(lines: list[str], line: int, column: int) -> str:
    before = _previous(lines, line)
    if before is None:
        return f"this line is indented to column {column}, which no block above it uses"
    number, content = before
    expected = _indent(content)
    if expected == column:
        return (
            "a mapping's keys and a list's '- ' items cannot be mixed at one indentation: give this "
            f"item a key, or indent the list under the key of line {number} it belongs to"
        )
    return (
        f"this line is indented to column {column}, which no block above it uses: line it up with "
        f"the line it belongs with (line {number} starts at column {expected}), with spaces"
    )


def _colon(lines: list[str], line: int, column: int) -> str:
    here = lines[line - 1] if 0 < line <= len(lines) else ""
    key_end = here.find(": ")
    if 0 <= key_end < column - 1:  # a key earlier on the same line: the value holds ': '
        value = here[key_end + 2 :].strip()
        return f"the value holds ': ', which YAML reads as another key: put it in quotes, \"{value}\""
    before = _previous(lines, line)
    if before is not None and _indent(here) > _indent(before[1]):
        number, content = before
        return (
            f"this key is indented under the value of line {number}, which YAML then reads as one text: "
            f"line it up at column {_indent(content)}, as line {number} is"
        )
    return "a ':' where no key can be: put the text in quotes"
