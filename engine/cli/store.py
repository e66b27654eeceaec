"""`sopflow store check | verify`: is a durable store whole, and has anyone rewritten its journals?

`check` asks the database to check its pages (SQLite's quick_check) and reads every row back: a
damaged store is named, with the instance and event that cannot be read. `verify` follows each
journal's hash chain: the first event of an instance whose hash does not follow from its content and
the event before it (an edit, an insertion, a removal) is named. Exit 0 when all is well, 1 when
something is found, 2 when the store cannot be opened.
"""

from __future__ import annotations

import argparse
from typing import Any

from engine.cli.output import error, printable
from engine.cli.run import guarded
from engine.persistence import STORE_HELP, open_store, store_location


def register(commands: Any) -> None:
    store = commands.add_parser(
        "store",
        help="check a durable store's files and verify its journals against their hash chains",
        description=__doc__.split("\n\n")[1] if __doc__ else None,
    )
    actions = store.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, handler, text in (
        ("check", _check, "check the store's pages and that every row reads back"),
        ("verify", _verify, "verify every journal against its hash chain: show what was rewritten"),
    ):
        parser = actions.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
        parser.add_argument("--store", metavar="LOCATION", help=STORE_HELP)
        parser.set_defaults(run=guarded(handler))


def _check(args: argparse.Namespace) -> int:
    return _report(args, "check")


def _verify(args: argparse.Namespace) -> int:
    return _report(args, "verify")


def _report(args: argparse.Namespace, what: str) -> int:
    location = store_location(args.store)
    store = open_store(location)
    try:
        found = store.check() if what == "check" else store.verify()
    finally:
        store.close()
    for problem in found:
        error(problem)
    if found:
        return 1
    print(printable(f"{location}: {'whole' if what == 'check' else 'every journal follows its hash chain'}"))
    return 0
