"""Files a process definition names: a calendar kept in its own file, so that an organisation keeps
one calendar for many processes (`calendar: ../calendars/office.yaml`, relative to the process file).

A calendar file is a YAML mapping of the calendar's keys, read and checked like a process file, its
problems located in it. A definition kept in a store must be readable without the disk it came from,
so a definition that names files is stored as a bundle: its text and the files' texts, as JSON.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

from engine.errors import Problem
from engine.loading.checks import check_calendar
from engine.loading.context import Context
from engine.loading.schema import schema_problems
from engine.loading.yaml_source import Source, read_bounded, read_yaml

_BUNDLE = "sopflow_bundle"


def read_calendar(name: str, content: bytes | None = None) -> tuple[Source, str, list[Problem]]:
    """A calendar file (its `content`, else read from the disk), its text, and every problem in it,
    checked as the `calendar` of a process file is."""
    if content is None:
        content_or_reason = read_bounded(name)
        if isinstance(content_or_reason, str):
            return (
                Source(name),
                "",
                [Problem(file=name, line=1, column=1, path=(), message=content_or_reason)],
            )
        content = content_or_reason
    source, problems = read_yaml(content, name)
    if problems:
        return source, "", problems
    if not isinstance(source.data, dict):
        return source, "", [source.problem((), "a calendar file holds a mapping of the calendar's keys")]
    problems = schema_problems(source, "process.schema.json", "calendar")
    if not problems:
        ctx = Context(source)
        check_calendar(ctx, source.data, ())
        problems = ctx.problems
    return source, content.decode("utf-8-sig"), problems


def named_calendar(
    process_path: str, reference: str, files: Mapping[str, str] | None
) -> tuple[Source, str, list[Problem]] | str:
    """The calendar file a process names, from `files` (a stored bundle's) or from the disk beside
    the process file; or why it cannot be read."""
    if files is not None:
        if reference not in files:
            return "the stored definition lacks it"
        return read_calendar(reference, files[reference].encode("utf-8"))
    name = os.path.normpath(Path(process_path).parent / reference)
    content = read_bounded(name)
    return content if isinstance(content, str) else read_calendar(name, content)


def bundle(text: str, files: Mapping[str, str]) -> str:
    """What a store keeps of a definition: its text alone, or with the files it names."""
    if not files:
        return text
    ordered = dict(sorted(files.items()))  # the marker first, so a reader knows a bundle at once
    return json.dumps({_BUNDLE: 1, "process": text, "files": ordered}, ensure_ascii=False)


def unbundle(stored: str) -> tuple[str, dict[str, str] | None]:
    """A stored definition's text and, for a bundle, the files it names."""
    if stored.startswith(f'{{"{_BUNDLE}": 1'):
        try:
            data = json.loads(stored)
        except ValueError:
            return stored, None
        if isinstance(data, dict) and data.get(_BUNDLE) == 1:
            return str(data["process"]), {str(k): str(v) for k, v in data["files"].items()}
    return stored, None
