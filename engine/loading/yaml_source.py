"""Safe YAML reading that remembers where every value came from.

The document is built from the parser's event stream, not by PyYAML's constructors, for three reasons:
every value gets a position (so errors can point at a line and column), duplicate keys are errors
(PyYAML keeps the last one silently), and hostile input is bounded without recursion: the nesting
depth, the number of values after alias expansion (alias bombs) and the byte size all have limits.
Scalars follow the YAML 1.2 core schema: only `true`/`false` are booleans (`on`, `yes`, `no` stay
text), `09:30` is text, not a sexagesimal number, and dates stay text for the schema to check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path as FilePath
from typing import Any

import yaml

from engine.errors import Problem
from engine.loading.yaml_errors import explain

Path = tuple[str | int, ...]

MAX_BYTES = 2 * 1024 * 1024
MAX_VALUES = 200_000
MAX_CHARACTERS = 8 * 1024 * 1024
"""Characters of text once aliases are expanded: a 1 MB string repeated by 200 aliases is 200 MB."""
MAX_DEPTH = 64


def read_bounded(name: str) -> bytes | str:
    """A file's bytes, at most one more than `MAX_BYTES` (so a larger file is refused, never read
    whole), or why it cannot be read: no such file, a folder, a name no file can have (a NUL)."""
    try:
        with FilePath(name).open("rb") as stream:
            return stream.read(MAX_BYTES + 1)
    except OSError as error:
        return f"cannot read: {error.strerror}"
    except ValueError as error:
        return f"cannot read: {error}"


_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?[0-9]+$")
_INT_OCT = re.compile(r"^0o[0-7]+$")
_INT_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_SPECIAL_FLOATS = {".inf": "inf", ".Inf": "inf", ".INF": "inf", ".nan": "nan", ".NaN": "nan", ".NAN": "nan"}
_CORE = "tag:yaml.org,2002:"


@dataclass(slots=True)
class Source:
    """A YAML document as plain data, with the position of every value and mapping key."""

    file: str
    data: Any = None
    positions: dict[Path, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[Path, tuple[int, int]] = field(default_factory=dict)
    quoted: set[Path] = field(default_factory=set)
    """Paths of quoted scalars, whose text starts one column after their position."""

    def locate(self, path: Path, *, key: bool = False) -> tuple[int, int]:
        """Line and column of `path` (its key with `key=True`), else of its nearest located ancestor."""
        if key and path in self.key_positions:
            return self.key_positions[path]
        for length in range(len(path), -1, -1):
            found = self.positions.get(path[:length])
            if found is not None:
                return found
        return (1, 1)

    def problem(self, path: Path, message: str, *, key: bool = False) -> Problem:
        line, column = self.locate(path, key=key)
        return Problem(file=self.file, line=line, column=column, path=path, message=message)


class _Frame:
    __slots__ = ("anchor", "container", "key", "key_mark", "path", "start_characters", "start_count")

    def __init__(
        self, container: Any, path: Path, anchor: str | None, start_count: int, start_characters: int
    ) -> None:
        self.container = container
        self.path = path
        self.anchor = anchor
        self.start_count = start_count
        self.start_characters = start_characters
        self.key: str | None = None
        self.key_mark: tuple[int, int] = (1, 1)


class _Abort(Exception):
    pass


def read_yaml(raw: bytes | str, file: str) -> tuple[Source, list[Problem]]:
    """Read one YAML document; on any problem the returned list is non-empty."""
    source = Source(file)
    problems: list[Problem] = []

    def fail(message: str, line: int = 1, column: int = 1, path: Path = ()) -> tuple[Source, list[Problem]]:
        problems.append(Problem(file=file, line=line, column=column, path=path, message=message))
        return source, problems

    size = len(raw.encode() if isinstance(raw, str) else raw)
    if size > MAX_BYTES:
        return fail(f"the file is too large: the limit is {MAX_BYTES // 1048576} MiB")
    if isinstance(raw, bytes):
        if b"\x00" in raw:
            return fail("this is a binary file, not YAML text")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            line = raw.count(b"\n", 0, error.start) + 1
            column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
            return fail(f"the file is not UTF-8 text (byte 0x{raw[error.start]:02x})", line, column)
    else:
        text = raw
    if not text.strip():
        return fail("the file is empty")
    loader = _loader_class()
    if _build(text, loader, source, problems) and loader is not yaml.SafeLoader:
        # Recent libyaml builds refuse nesting past a limit of their own, far above MAX_DEPTH,
        # while scanning ahead of the events the builder sees. The pure-Python parser scans ahead at
        # most one line or 1,024 characters: read the text again with it, so that the error is
        # placed where the nesting goes past MAX_DEPTH.
        source, problems = Source(file), []
        _build(text, yaml.SafeLoader, source, problems)
    if not problems and source.data is None:
        return fail("the file is empty")
    return source, problems


_TOO_DEEP = f"the document is nested too deeply: the limit is {MAX_DEPTH} levels"


def _build(text: str, loader: type, source: Source, problems: list[Problem]) -> bool:
    """Read `text` into `source`, adding every problem met; True when the parser itself refused the
    nesting (its error then says so in the builder's words, at the parser's position)."""
    builder = _Builder(source, problems)
    try:
        for event in yaml.parse(text, Loader=loader):
            builder.handle(event)
    except _Abort:
        pass
    except yaml.MarkedYAMLError as error:
        line, column, message = explain(error, text)
        too_deep = "nesting depth" in (error.problem or "")
        if too_deep:
            mark = error.problem_mark or error.context_mark
            line, column, message = (mark.line + 1, mark.column + 1, _TOO_DEEP) if mark else (1, 1, _TOO_DEEP)
        problems.append(Problem(file=source.file, line=line, column=column, path=(), message=message))
        return too_deep
    except yaml.YAMLError as error:
        problems.append(Problem(file=source.file, line=1, column=1, path=(), message=f"YAML syntax: {error}"))
    return False


def read_data(raw: bytes, name: str) -> tuple[dict[str, Any], list[Problem]]:
    """Command data (start inputs, a form's fields, an event's data) from JSON or YAML text, read with
    the bounds and the YAML 1.2 core rules of process files (duplicate keys refused, `yes` is text,
    dates stay text); empty text is no data."""
    if not raw.strip():
        return {}, []
    source, problems = read_yaml(raw, name)
    if problems or source.data is None:
        return {}, problems
    if not isinstance(source.data, dict):
        kind = "a list" if isinstance(source.data, list) else f"the value {source.data!r}"
        return {}, [source.problem((), f"the data must be a mapping of names to values, not {kind}")]
    return source.data, []


def _loader_class() -> type:
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Builder:
    """Turns parser events into plain data, recording positions and enforcing the limits."""

    def __init__(self, source: Source, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[Any, int, int]] = {}
        """Anchor → (value, values in it, characters in it), what an alias to it adds."""
        self.count = 0
        self.characters = 0
        self.documents = 0

    def error(self, mark: Any, message: str, path: Path = ()) -> None:
        self.problems.append(
            Problem(
                file=self.source.file, line=mark.line + 1, column=mark.column + 1, path=path, message=message
            )
        )

    def handle(self, event: yaml.Event) -> None:
        if isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                self.error(event.start_mark, "a file holds one YAML document; this is a second one")
                raise _Abort
        elif isinstance(event, yaml.ScalarEvent):
            self.add_value(self.scalar(event), event, 1, len(event.value))
        elif isinstance(event, yaml.AliasEvent):
            if event.anchor not in self.anchors:
                self.error(event.start_mark, f"unknown alias '*{event.anchor}'")
                raise _Abort
            value, size, characters = self.anchors[event.anchor]
            self.add_value(value, event, size, characters)
        elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            self.check_tag(event, "map" if isinstance(event, yaml.MappingStartEvent) else "seq")
            container: Any = {} if isinstance(event, yaml.MappingStartEvent) else []
            path = self.child_path(event)
            self.source.positions[path] = _position(event)
            if len(self.stack) >= MAX_DEPTH:
                self.error(event.start_mark, _TOO_DEEP, path)
                raise _Abort
            self.stack.append(_Frame(container, path, event.anchor, self.count, self.characters))
            self.bump(event, 1, 0)
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            frame = self.stack.pop()
            if frame.anchor is not None:
                size = self.count - frame.start_count
                self.anchors[frame.anchor] = (frame.container, size, self.characters - frame.start_characters)
            self.attach(frame.container, frame.path)

    def bump(self, event: yaml.Event, size: int, characters: int) -> None:
        self.count += size
        self.characters += characters
        if self.count > MAX_VALUES:
            self.error(
                event.start_mark,
                f"the document expands to more than {MAX_VALUES:,} values (aliases included); "
                "refusing to read it",
            )
            raise _Abort
        if self.characters > MAX_CHARACTERS:
            self.error(
                event.start_mark,
                f"the document expands to more than {MAX_CHARACTERS // 1048576} Mi characters of text "
                "(aliases included); refusing to read it",
            )
            raise _Abort

    def child_path(self, event: yaml.Event) -> Path:
        if not self.stack:
            return ()
        frame = self.stack[-1]
        if isinstance(frame.container, list):
            return (*frame.path, len(frame.container))
        if frame.key is None:
            self.error(
                event.start_mark, "a mapping key must be plain text, not a list or mapping", frame.path
            )
            raise _Abort
        return (*frame.path, frame.key)

    def add_value(self, value: Any, event: yaml.Event, size: int, characters: int) -> None:
        self.bump(event, size, characters)
        position = _position(event)
        anchor = getattr(event, "anchor", None)
        if anchor is not None and isinstance(event, yaml.ScalarEvent):
            self.anchors[anchor] = (value, size, characters)
        frame = self.stack[-1] if self.stack else None
        if frame is not None and isinstance(frame.container, dict) and frame.key is None:
            self.set_key(frame, value, event, position)
            return
        path = self.child_path(event)
        self.source.positions[path] = position
        if isinstance(event, yaml.ScalarEvent) and event.style in ("'", '"'):
            self.source.quoted.add(path)
        self.attach(value, path)

    def set_key(self, frame: _Frame, value: Any, event: yaml.Event, position: tuple[int, int]) -> None:
        if isinstance(value, dict | list):
            self.error(
                event.start_mark, "a mapping key must be plain text, not a list or mapping", frame.path
            )
            raise _Abort
        key = event.value if isinstance(event, yaml.ScalarEvent) else str(value)
        if key == "<<":
            self.error(
                event.start_mark, "merge keys ('<<') are not supported; write the entries out", frame.path
            )
            raise _Abort
        if key in frame.container:
            first = self.source.key_positions[(*frame.path, key)]
            self.error(
                event.start_mark,
                f"duplicate key '{key}' (first defined at line {first[0]})",
                (*frame.path, key),
            )
        frame.key = key
        frame.key_mark = position
        self.source.key_positions[(*frame.path, key)] = position

    def attach(self, value: Any, path: Path) -> None:
        if not self.stack:
            self.source.data = value
            return
        frame = self.stack[-1]
        if isinstance(frame.container, list):
            frame.container.append(value)
        else:
            assert frame.key is not None
            frame.container[frame.key] = value
            frame.key = None

    def check_tag(self, event: Any, kind: str) -> None:
        tag = event.tag
        if tag is not None and tag not in ("!", f"{_CORE}{kind}"):
            self.error(event.start_mark, f"the tag '{tag}' is not allowed here")
            raise _Abort

    def scalar(self, event: yaml.ScalarEvent) -> Any:
        value: str = event.value
        tag = event.tag
        if tag is None or tag == "!":
            if event.style or not event.implicit[0]:  # quoted or block text stays text
                return value
            return _resolve_plain(value)
        if tag == f"{_CORE}str":
            return value
        if tag in (f"{_CORE}int", f"{_CORE}float", f"{_CORE}bool", f"{_CORE}null"):
            return _resolve_plain(value)
        self.error(event.start_mark, f"the tag '{tag}' is not allowed here")
        raise _Abort


def _position(event: yaml.Event) -> tuple[int, int]:
    """1-based line and column where the event starts (every parser event carries a mark)."""
    mark = event.start_mark
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


def _resolve_plain(value: str) -> Any:
    if _NULL.match(value):
        return None
    if value in _BOOL:
        return _BOOL[value]
    if _INT.match(value):
        return int(value)
    if _INT_OCT.match(value):
        return int(value[2:], 8)
    if _INT_HEX.match(value):
        return int(value[2:], 16)
    if _FLOAT.match(value):
        return float(value)
    if value.lstrip("+-") in _SPECIAL_FLOATS:
        return float(("-" if value.startswith("-") else "") + _SPECIAL_FLOATS[value.lstrip("+-")])
    return value


def top_level_text(raw: bytes, key: str) -> str | None:
    """The text of `key` in a document's top-level mapping, read from the parser's events without
    building the document (learning the ids of a folder of process files this way costs a tenth of
    reading them); None when the key is absent, not text, or the file is not readable YAML."""
    depth, key_next, wanted = 0, True, False
    try:
        for event in yaml.parse(raw, Loader=_loader_class()):
            if isinstance(event, yaml.CollectionStartEvent):
                if depth == 0 and not isinstance(event, yaml.MappingStartEvent):
                    return None
                if depth == 1:
                    if wanted:
                        return None
                    key_next = not key_next
                depth += 1
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            elif depth == 1 and isinstance(event, yaml.ScalarEvent | yaml.AliasEvent):
                if not key_next and wanted:
                    return event.value if isinstance(event, yaml.ScalarEvent) else None
                wanted = key_next and isinstance(event, yaml.ScalarEvent) and event.value == key
                key_next = not key_next
    except yaml.YAMLError:
        return None
    return None
