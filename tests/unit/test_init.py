"""A new repository of process definitions in one command: what `sopflow init` lays out works at
once (the example validates, its scenario holds, pre-commit runs both checks and names a mistake at
its line), and this repository's own pre-commit hooks run on it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from engine.cli import main

ROOT = Path(__file__).resolve().parents[2]
LAID_OUT = [
    ".gitignore",
    ".pre-commit-config.yaml",
    ".vscode/settings.json",
    "README.md",
    "processes/purchase-request.yaml",
    "scenarios/purchase-request-approved.yaml",
    "schemas/process.schema.json",
    "schemas/scenario.schema.json",
]


@pytest.fixture
def repository(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    target = tmp_path / "demo"
    assert main(["init", str(target)]) == 0
    assert capsys.readouterr().out.startswith("created")
    return target


def test_init_lays_out_a_repository_that_checks_clean(
    repository: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert sorted(str(p.relative_to(repository)) for p in repository.rglob("*") if p.is_file()) == LAID_OUT
    assert main(["validate", str(repository / "processes"), str(repository / "scenarios")]) == 0
    out = capsys.readouterr().out
    assert "purchase-request v1: 4 stages, 2 duties, 1 form" in out
    assert "scenario of purchase-request, 2 steps" in out
    assert (
        main(["simulate", "--quiet", "--store", str(repository / "sim.db"), str(repository / "scenarios")])
        == 0
    )
    assert "expectations: 6 passed, all hold" in capsys.readouterr().out
    first_line = (repository / "processes" / "purchase-request.yaml").read_text("utf-8").splitlines()[0]
    assert first_line == "# yaml-language-server: $schema=../schemas/process.schema.json"
    settings = json.loads((repository / ".vscode" / "settings.json").read_text("utf-8"))
    assert settings["yaml.schemas"]["./schemas/process.schema.json"] == "processes/*.yaml"
    shipped = (ROOT / "schemas" / "process.schema.json").read_text("utf-8")
    assert (repository / "schemas" / "process.schema.json").read_text("utf-8") == shipped


def test_init_writes_nothing_over_existing_files(
    repository: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repository / "README.md").write_text("mine\n", encoding="utf-8")
    assert main(["init", str(repository)]) == 2
    assert "already has .gitignore, .pre-commit-config.yaml" in capsys.readouterr().err
    assert (repository / "README.md").read_text("utf-8") == "mine\n"


@pytest.mark.parametrize("name", ["process", "scenario", "simulation", "records", "report"])
def test_schema_prints_the_bundled_schema(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", name]) == 0
    assert capsys.readouterr().out == (ROOT / "schemas" / f"{name}.schema.json").read_text("utf-8")


def pre_commit(repository: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """pre-commit in `repository`, with this interpreter's sopflow first on the PATH."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    command = [sys.executable, "-m", "pre_commit", *argv]
    return subprocess.run(
        command, cwd=repository, capture_output=True, text=True, env={**os.environ, "PATH": path}, timeout=600
    )


def committed(repository: Path) -> None:
    git = shutil.which("git")
    assert git, "these tests need git"
    for command in (["init", "-q"], ["add", "-A"]):
        subprocess.run([git, *command], cwd=repository, check=True)


def test_pre_commit_runs_both_checks_and_names_a_mistake(repository: Path) -> None:
    committed(repository)
    clean = pre_commit(repository, "run", "--all-files")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "sopflow validate" in clean.stdout and "sopflow simulate (every scenario)" in clean.stdout
    process = repository / "processes" / "purchase-request.yaml"
    process.write_text(process.read_text("utf-8").replace("owner: team_lead", "owner: team_led"), "utf-8")
    broken = pre_commit(repository, "run", "--all-files")
    assert broken.returncode == 1
    assert (
        "error processes/purchase-request.yaml:49:12: unknown role 'team_led' (did you mean 'team_lead'?) "
        "[stages.review.owner]" in broken.stdout
    )


def test_this_repositorys_hooks_run_on_a_new_repository(repository: Path) -> None:
    """`pre-commit try-repo` installs sopflow from this repository as its hooks say, and runs them."""
    committed(repository)
    tried = pre_commit(repository, "try-repo", str(ROOT), "sopflow-validate", "--all-files")
    assert tried.returncode == 0, tried.stdout + tried.stderr
    assert "sopflow validate" in tried.stdout and "Passed" in tried.stdout


def test_a_broken_process_is_said_once_and_its_scenarios_wait_on_it(
    repository: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    process = repository / "processes" / "purchase-request.yaml"
    process.write_text(process.read_text("utf-8").replace("owner: team_lead", "owner: team_led"), "utf-8")
    monkeypatch.chdir(repository)
    assert main(["validate", "processes/", "scenarios/"]) == 1
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        "error processes/purchase-request.yaml:49:12: unknown role 'team_led' (did you mean 'team_lead'?) "
        "[stages.review.owner]",
        "error scenarios/purchase-request-approved.yaml:1:1: cannot be checked: a process it runs has "
        "problems (reported above)",
    ]
    assert captured.err == "2 of 2 files invalid, 2 problems\n"
