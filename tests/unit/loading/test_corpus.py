"""Broken definitions and the exact located errors they must produce.

Each file under tests/corpus/ ends with `# expect: LINE:COLUMN: MESSAGE [PATH]` lines, the complete
list of problems the loader must report for it, in order. Hostile inputs too large or too strange to
keep as files are generated here.
"""

import time
from pathlib import Path

import pytest

from engine.errors import DefinitionError
from engine.loading.loader import check_process, load_process
from engine.loading.yaml_source import MAX_BYTES, MAX_DEPTH, read_bounded

CORPUS = sorted((Path(__file__).parents[2] / "corpus").glob("*.yaml"))


def expectations(path: Path) -> list[str]:
    return [
        line.removeprefix("# expect: ")
        for line in path.read_text("utf-8").splitlines()
        if line.startswith("# expect: ")
    ]


def reported(path: Path) -> list[str]:
    result = check_process(path, known_processes={"mini"})
    assert result.spec is None
    return [
        f"{p.line}:{p.column}: {p.message}" + (f" [{p.json_path}]" if p.path else "") for p in result.problems
    ]


def test_the_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 30


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_broken_definition(path: Path) -> None:
    expected = expectations(path)
    assert expected, f"{path.name} has no '# expect:' lines"
    assert reported(path) == expected


def test_problems_carry_the_file_name() -> None:
    with pytest.raises(DefinitionError) as caught:
        load_process(CORPUS[0], known_processes={"mini"})
    assert all(problem.file == str(CORPUS[0]) for problem in caught.value.problems)
    assert str(caught.value).startswith(f"{CORPUS[0]}:")


def hostile(tmp_path: Path, content: bytes) -> list[str]:
    path = tmp_path / "hostile.yaml"
    path.write_bytes(content)
    started = time.perf_counter()
    result = check_process(path)
    assert time.perf_counter() - started < 5, "hostile input must be refused quickly"
    assert result.spec is None
    return [f"{p.line}:{p.column}: {p.message}" for p in result.problems]


def test_alias_bomb(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    assert hostile(tmp_path, "\n".join(lines).encode()) == [
        "6:10: the document expands to more than 200,000 values (aliases included); refusing to read it"
    ]


def test_many_megabytes(tmp_path: Path) -> None:
    content = b"id: big\ndescription: " + b"x" * (MAX_BYTES + 1) + b"\n"
    assert hostile(tmp_path, content) == ["1:1: the file is too large: the limit is 2 MiB"]


def test_a_huge_file_is_refused_without_being_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as stream:
        stream.truncate(4 * 1024**3)  # sparse: 4 GiB that take no disk
    assert len(read_bounded(str(path))) == MAX_BYTES + 1
    problems = check_process(path).problems
    assert [(p.line, p.column, p.message) for p in problems] == [
        (1, 1, "the file is too large: the limit is 2 MiB")
    ]


def test_deep_nesting(tmp_path: Path) -> None:
    content = b"id: deep\nx: " + b"[" * 100_000 + b"]" * 100_000 + b"\n"
    assert hostile(tmp_path, content) == [
        f"2:{3 + MAX_DEPTH}: the document is nested too deeply: the limit is {MAX_DEPTH} levels"
    ]


def test_binary(tmp_path: Path) -> None:
    assert hostile(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR") == [
        "1:1: this is a binary file, not YAML text"
    ]


def test_not_utf8(tmp_path: Path) -> None:
    # the GBK bytes of 小 happen to be valid UTF-8; those of 流 are not
    assert hostile(tmp_path, "id: ok\ntitle: 小流程\n".encode("gbk")) == [
        "2:10: the file is not UTF-8 text (byte 0xc1)"
    ]


def test_empty(tmp_path: Path) -> None:
    assert hostile(tmp_path, b"  \n# nothing\n") == ["1:1: the file is empty"]


def test_scalar_root(tmp_path: Path) -> None:
    assert hostile(tmp_path, b"42\n") == [
        "1:1: the document must be a mapping of keys to values, not the value 42"
    ]


def test_missing_file(tmp_path: Path) -> None:
    result = check_process(tmp_path / "nope.yaml")
    assert [p.message for p in result.problems] == ["cannot read: No such file or directory"]


def test_a_long_condition_is_quoted_in_part(tmp_path: Path) -> None:
    """A 1.8 MB condition once came back quoted whole in its message; the column points at the place."""
    ticket = (Path(__file__).parents[2] / "persistence" / "ticket.yaml").read_text(encoding="utf-8")
    condition = " or ".join(["subject == 'a'"] * 800)
    content = ticket.replace(
        "        on_record: answer\n", f'        on_record: answer\n        when: "{condition}"\n'
    )
    assert hostile(tmp_path, content.encode()) == [
        f"33:10016: in condition '{condition[:79]}…': the expression is too long: at most 10,000 characters"
    ]
