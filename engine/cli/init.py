"""`sopflow init | schema`: a new repository of process definitions, and the bundled JSON Schemas.

`init` lays out what a process owner needs to begin: an example procedure and a scenario of it, the
schemas where the files' `$schema` lines point, editor settings that associate them, a pre-commit
configuration running the checks, and a README. It writes nothing over an existing file.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Any

from engine.cli.output import error, green, printable

STARTER = {
    "README.md": "README.md",
    "gitignore": ".gitignore",
    "pre-commit-config.yaml": ".pre-commit-config.yaml",
    "vscode-settings.json": ".vscode/settings.json",
    "processes/purchase-request.yaml": "processes/purchase-request.yaml",
    "scenarios/purchase-request-approved.yaml": "scenarios/purchase-request-approved.yaml",
}
"""The starter's files (kept without leading dots in the package) and where each goes."""
SCHEMAS = ("process", "scenario", "simulation", "records", "report")


def register(commands: Any) -> None:
    init = commands.add_parser(
        "init",
        help="lay out a new repository of process definitions",
        description="Write an example procedure (processes/), a scenario of it (scenarios/), the JSON "
        "Schemas editors check them with (schemas/), VS Code settings for the YAML language server, a "
        "pre-commit configuration that validates and simulates before each commit, and a README. "
        "Nothing is written over an existing file.",
    )
    init.add_argument("directory", nargs="?", default=".", metavar="DIR", help="where (default: here)")
    init.set_defaults(run=run_init)

    schema = commands.add_parser(
        "schema",
        help="print a bundled JSON Schema",
        description="Print the JSON Schema of process definitions, of scenarios, or of a JSON output "
        "(simulate --json, forms --format json, report --format json).",
    )
    schema.add_argument("name", choices=SCHEMAS, help="which schema")
    schema.set_defaults(run=run_schema)


def _schema_text(name: str) -> str:
    return (files("engine") / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8")


def run_schema(args: Any) -> int:
    print(_schema_text(args.name), end="")
    return 0


def run_init(args: Any) -> int:
    root = Path(args.directory)
    starter = files("engine") / "starter"
    planned = {target: (starter / source).read_text(encoding="utf-8") for source, target in STARTER.items()}
    planned |= {f"schemas/{name}.schema.json": _schema_text(name) for name in ("process", "scenario")}
    present = sorted(target for target in planned if (root / target).exists())
    if present:
        error(f"{root} already has {', '.join(present)}; nothing was written (choose another folder)")
        return 2
    try:
        for target, text in planned.items():
            path = root / target
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    except OSError as failure:
        error(f"cannot write in {root}: {failure.strerror}")
        return 2
    print(green("created"), printable(f"{root}: {', '.join(sorted(planned))}"))
    print("next: cd into it, git init, pre-commit install; then sopflow validate processes/ scenarios/")
    return 0
