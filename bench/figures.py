"""What every benchmark shares: the command line (--quick, --json) and printing the figures."""

from __future__ import annotations

import argparse
import json


def parser(doc: str | None) -> argparse.ArgumentParser:
    """The options every benchmark takes, for one that adds its own."""
    options = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    options.add_argument("--quick", action="store_true", help="small sizes, seconds in all")
    options.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    return options


def arguments(doc: str | None) -> argparse.Namespace:
    return parser(doc).parse_args()


def report(figures: dict[str, float], json_file: str | None) -> None:
    """One aligned line per figure; the same figures as JSON if asked."""
    width = max(len(name) for name in figures)
    for name, value in figures.items():
        print(f"{name:<{width}}  {value:>14,.1f}")
    if json_file:
        with open(json_file, "w", encoding="utf-8") as out:
            json.dump(figures, out, indent=2)
