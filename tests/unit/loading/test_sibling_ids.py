"""The ids of the process files in a folder, read from the top-level `id` without building each
document: only the top-level key counts, and anything but text is no id."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.loading.loader import sibling_process_ids
from engine.loading.yaml_source import top_level_text


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("id: a", "a"),
        ('id: "quoted"', "quoted"),
        ("title: x\nstages:\n  s: {id: inner}\nid: after-nested", "after-nested"),
        ("list: [1, {id: z}]\nid: c", "c"),
        ("name: id\nid: f", "f"),  # 'id' as a value is not the key
        ("? [id]\n: v\nid: d", "d"),  # a collection as a key
        ("id: {x: 1}", None),
        ("id: [a]", None),
        ("x: &a q\nid: *a", None),
        ("- id\n- x", None),  # not a mapping
        ("title: no id here", None),
        ("{", None),  # not readable YAML
        ("", None),
    ],
)
def test_top_level_text(text: str, found: str | None) -> None:
    assert top_level_text(text.encode(), "id") == found


def test_sibling_ids_skip_files_without_one(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("id: first\nstages: {}\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("stages: {id: nested}\n", encoding="utf-8")
    (tmp_path / "c.yaml").write_text("id: [\n", encoding="utf-8")
    (tmp_path / "d.txt").write_text("id: not-yaml-suffix\n", encoding="utf-8")
    assert sibling_process_ids(tmp_path / "a.yaml") == {"first"}


def test_the_seed_folder() -> None:
    folder = Path(__file__).resolve().parents[3] / "processes"
    assert sibling_process_ids(folder / "any.yaml") >= {
        "sales-rapid-response",
        "sales-weekly-review",
        "sales-service-interaction",
        "customer-complaint",
        "sales-monthly-review",
    }
