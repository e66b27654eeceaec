"""One language per output: the catalogue covers every message of the code, and no output of a
process speaks the other language's fixed words (an English process shows no Chinese character
anywhere; a Chinese one shows none of the English messages)."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from openpyxl import load_workbook

from engine.cli import main
from engine.locale import LANGUAGES, words
from engine.time.durations import parse_duration

ROOT = Path(__file__).resolve().parents[2]
ENGINE = ROOT / "engine"
KEYWORDS = {"t": None, "tn": (1, 2), "N_": None}
"""How the code marks its messages: `words.t(...)`, `words.tn(singular, plural, n)`, `N_(...)`; the
page templates call `t(...)` too."""
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2.ext:babel_extract")]


def code_messages() -> set[str]:
    found = set()
    for _, _, message, _, _ in extract_from_dir(str(ENGINE), method_map=METHODS, keywords=KEYWORDS):
        found.update([message] if isinstance(message, str) else message)
    return found


def catalogue(code: str) -> dict[str, tuple[str, set[str]]]:
    """Each msgid (a plural's two) → its translation and the values its message may name."""
    with (ENGINE / "locale" / f"{code.replace('-', '_')}.po").open("rb") as stream:
        entries = read_po(stream)
    found: dict[str, tuple[str, set[str]]] = {}
    for entry in entries:
        if not entry.id:
            continue
        ids = [entry.id] if isinstance(entry.id, str) else list(entry.id)
        text = entry.string if isinstance(entry.string, str) else entry.string[0]
        named = set().union(*(placeholders(message) for message in ids))
        for message in ids:
            found[message] = (text or "", named)
    return found


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_the_chinese_catalogue_translates_every_message_and_nothing_else() -> None:
    messages, translated = code_messages(), catalogue("zh-CN")
    assert len(messages) > 200
    assert sorted(messages - translated.keys()) == []  # untranslated: `pybabel update`, then translate
    assert sorted(translated.keys() - messages) == []  # no longer in the code
    assert [m for m, (text, _) in translated.items() if not text] == []
    wrong = {m: text for m, (text, named) in translated.items() if not placeholders(text) <= named}
    assert wrong == {}  # a translation names only values its message has


def test_the_languages_are_those_the_schema_allows() -> None:
    schema = json.loads((ROOT / "schemas" / "process.schema.json").read_text(encoding="utf-8"))
    assert tuple(schema["properties"]["locale"]["enum"]) == LANGUAGES


def test_words_of_each_language() -> None:
    en, zh = words("en"), words("zh-CN")
    assert (en.duration(parse_duration("1h")), en.duration(parse_duration("3 working days"))) == (
        "1 hour",
        "3 working days",
    )
    assert (zh.duration(parse_duration("1h")), zh.duration(parse_duration("3 working days"))) == (
        "1小时",
        "3个工作日",
    )
    assert (en.title("Grading"), zh.title("需求分级记录")) == ("“Grading”", "《需求分级记录》")
    assert (en.join(["a", "b", "c"]), zh.join(["甲", "乙", "丙"])) == ("a, b, and c", "甲、乙和丙")
    assert (en.percent(0.9167), zh.percent(0.5)) == ("91.7%", "50%")
    assert (en.country("DE"), zh.country("CN")) == ("Germany", "中国")


def test_an_unknown_language_is_refused_with_the_known_ones() -> None:
    with pytest.raises(Exception, match=r"sopflow has no words in 'de'; it speaks en, zh-CN"):
        words("de")


def outputs(capsys: pytest.CaptureFixture[str], tmp: Path, process: str, scenario: str) -> dict[str, str]:
    """Every output sopflow makes of a process and of a scenario of it, as text."""
    process_file, scenario_file = str(ROOT / "processes" / process), str(ROOT / "scenarios" / scenario)
    made: dict[str, str] = {}
    runs = {
        "simulate": ["simulate", scenario_file],
        "simulate-html": ["simulate", "--quiet", "--html", str(tmp / "s.html"), scenario_file],
        "docs-md": ["docs", process_file],
        "docs-html": ["docs", "--format", "html", process_file],
        "graph-mermaid": ["graph", process_file],
        "graph-dot": ["graph", "--format", "dot", process_file],
        "forms-blank": ["forms", process_file],
        "forms-md": ["forms", scenario_file],
        "forms-csv": ["forms", "--format", "csv", scenario_file],
        "report-md": ["report", scenario_file],
        "report-html": ["report", "--format", "html", scenario_file],
    }
    for name, argv in runs.items():
        assert main(argv) in (0, 1), name
        made[name] = capsys.readouterr().out
    made["simulate-html"] = (tmp / "s.html").read_text(encoding="utf-8")
    assert main(["forms", "--format", "xlsx", "-o", str(tmp / "r.xlsx"), scenario_file]) == 0
    book = load_workbook(tmp / "r.xlsx")
    made["forms-xlsx"] = "\n".join(
        str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row
    ) + "\n".join(book.sheetnames)
    return made


CJK = re.compile(r"[\u2e80-\u9fff\uff00-\uffef《》]")


def test_an_english_process_has_no_chinese_anywhere(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    made = outputs(capsys, tmp_path, "incident-management.yaml", "inc-on-hold-and-reopened.yaml")
    leaks = {name: CJK.findall(text)[:5] for name, text in made.items() if CJK.search(text)}
    assert leaks == {}
    assert '<html lang="en">' in made["docs-html"] and '<html lang="en">' in made["simulate-html"]
    assert "Deadlines are counted in Germany (Berlin) Time." in made["docs-md"]


def english_phrases() -> set[str]:
    """The fixed parts of the English messages long enough to be unmistakable: two words or more."""
    phrases = set()
    for message in code_messages():
        for literal, _, _, _ in string.Formatter().parse(message):
            literal = literal.strip(" ,.;:()“”—–•✓✗→↻⏸▶↑■⛔⚡✉⚠")
            if len(re.findall(r"[A-Za-z]{2,}", literal)) >= 2:
                phrases.add(literal)
    return phrases


@pytest.mark.parametrize(
    ("process", "scenario"),
    [
        ("sales-rapid-response.yaml", "r0-after-sales-level1.yaml"),
        ("sales-service-interaction.yaml", "r1-customer-lifecycle.yaml"),
    ],
)
def test_a_chinese_process_has_no_english_fixed_words(
    process: str, scenario: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    made = outputs(capsys, tmp_path, process, scenario)
    phrases = english_phrases()
    assert len(phrases) > 100
    leaks = {name: sorted(p for p in phrases if p in text) for name, text in made.items()}
    assert {name: found for name, found in leaks.items() if found} == {}
    assert '<html lang="zh-CN">' in made["docs-html"] and '<html lang="zh-CN">' in made["simulate-html"]
