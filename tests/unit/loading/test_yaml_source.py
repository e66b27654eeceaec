"""Reading YAML with positions: the nesting bound gives one located error whichever layer notices it
first (libyaml's scanner, which refuses nesting past a limit of its own in recent builds, the
pure-Python parser, or the reader's own bound), with libyaml and without it."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine.loading.yaml_source import MAX_DEPTH, read_yaml

TOO_DEEP = f"the document is nested too deeply: the limit is {MAX_DEPTH} levels"


@pytest.fixture(params=["libyaml", "pure-python"])
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test runs with the libyaml loader (where this PyYAML has it) and with it absent."""
    if request.param == "libyaml" and not hasattr(yaml, "CSafeLoader"):
        pytest.fail("this PyYAML was built without libyaml: the libyaml path is not tested")
    if request.param == "pure-python":
        monkeypatch.delattr(yaml, "CSafeLoader", raising=False)
    return str(request.param)


def located(text: str) -> list[str]:
    _, problems = read_yaml(text, "deep.yaml")
    return [f"{p.line}:{p.column}: {p.message}" for p in problems]


def flow(levels: int) -> str:
    return "id: deep\nx: " + "[" * levels + "]" * levels + "\n"


def block_mappings(levels: int) -> str:
    return "".join(" " * i + "k:\n" for i in range(levels)) + " " * levels + "v\n"


def block_sequences(levels: int) -> str:
    return "- " * levels + "x\n"


# The root mapping or sequence is the first level, so the (MAX_DEPTH + 1)-th collection is refused
# where it starts: the 64th `[` after `x: `; the mapping of line 65 at its column 65; the 65th `- `.
@pytest.mark.parametrize(
    ("text", "where"),
    [
        (flow(100_000), f"2:{3 + MAX_DEPTH}"),
        (flow(1_500), f"2:{3 + MAX_DEPTH}"),
        (flow(MAX_DEPTH), f"2:{3 + MAX_DEPTH}"),
        (block_mappings(1_500), f"{MAX_DEPTH + 1}:{MAX_DEPTH + 1}"),
        (block_mappings(MAX_DEPTH + 1), f"{MAX_DEPTH + 1}:{MAX_DEPTH + 1}"),
        (block_sequences(1_500), f"1:{2 * MAX_DEPTH + 1}"),
    ],
    ids=["flow-100000", "flow-1500", "flow-64", "mappings-1500", "mappings-65", "sequences-1500"],
)
def test_too_deep_is_one_error_where_the_limit_is_passed(parser: str, text: str, where: str) -> None:
    assert located(text) == [f"{where}: {TOO_DEEP}"]


@pytest.mark.parametrize("text", [flow(MAX_DEPTH - 1), block_mappings(MAX_DEPTH), block_sequences(MAX_DEPTH)])
def test_nesting_up_to_the_limit_is_read(parser: str, text: str) -> None:
    assert located(text) == []


class _StrictLoader(yaml.SafeLoader):  # type: ignore[misc]
    """A parser that, like libyaml, refuses nesting of its own accord, here past 100 levels."""

    def parse_stream_start(self) -> Any:
        self.depth = 0
        return super().parse_stream_start()

    def get_event(self) -> Any:
        event = super().get_event()
        if isinstance(event, yaml.CollectionStartEvent):
            self.depth += 1
            if self.depth > 100:
                raise yaml.scanner.ScannerError(
                    "while increasing flow level", None, "exceeded maximum nesting depth", event.start_mark
                )
        return event


def test_a_parser_that_refuses_first_is_overruled_by_the_readers_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[type] = []
    original = yaml.parse

    def parse(text: str, Loader: type) -> Iterator[yaml.Event]:
        """Like libyaml, the strict parser reads ahead before the reader sees the first event, so
        its error lands far past the reader's limit."""
        seen.append(Loader)
        events = original(text, Loader=Loader)
        return iter(list(events)) if Loader is _StrictLoader else events

    monkeypatch.setattr(yaml, "CSafeLoader", _StrictLoader, raising=False)
    monkeypatch.setattr(yaml, "parse", parse)
    assert located(flow(200)) == [f"2:{3 + MAX_DEPTH}: {TOO_DEEP}"]
    assert seen == [_StrictLoader, yaml.SafeLoader]


YAML_MISTAKES = sorted((Path(__file__).parents[2] / "corpus").glob("yaml-*.yaml"))


@pytest.mark.parametrize("path", YAML_MISTAKES, ids=lambda p: p.stem)
def test_a_yaml_mistake_is_explained_alike_by_either_parser(path: Path, parser: str) -> None:
    """The corpus's YAML mistakes, each said with its fix in the same words whichever parser met it."""
    expected = [
        line.removeprefix("# expect: ")
        for line in path.read_text("utf-8").splitlines()
        if "# expect: " in line
    ]
    _, problems = read_yaml(path.read_bytes(), str(path))
    assert [f"{p.line}:{p.column}: {p.message}" for p in problems] == expected
