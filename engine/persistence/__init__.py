"""Durable stores for the engine's journals: SQLite by default, PostgreSQL for several machines.

Where the store is: the `--store` option, else the `SOPFLOW_STORE` environment variable, else `store`
in a `sopflow.toml` in the working directory, else `sopflow.db` there. A location is a file path (or
`:memory:`) for SQLite, or a `postgresql://` URL.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from engine.persistence.sql import SqlStore, StoreError

DEFAULT_LOCATION = "sopflow.db"
ENVIRONMENT = "SOPFLOW_STORE"
CONFIG = "sopflow.toml"
STORE_HELP = (
    "the store: a SQLite file or a postgresql:// URL (default: $SOPFLOW_STORE, else 'store' in "
    "./sopflow.toml, else ./sopflow.db)"
)


def store_location(option: str | None = None) -> str:
    if option is not None:
        if not option.strip():
            raise StoreError("--store needs a location: a SQLite file path or a postgresql:// URL")
        return option
    if os.environ.get(ENVIRONMENT):
        return os.environ[ENVIRONMENT]
    config = Path(CONFIG)
    if config.is_file():
        try:
            settings = tomllib.loads(config.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            raise StoreError(f"{CONFIG}: {error}") from error
        store = settings.get("store")
        if store is not None and not isinstance(store, str):
            raise StoreError(f"{CONFIG}: 'store' must be a text (a path or a postgresql:// URL)")
        if store:
            return store
    return DEFAULT_LOCATION


def open_store(location: str) -> SqlStore:
    """Open (and create or migrate) the store at `location`."""
    if location.startswith(("postgresql://", "postgres://")):
        from engine.persistence.postgres import PostgresStore

        return PostgresStore(location)
    from engine.persistence.sqlite import SqliteStore

    return SqliteStore(location)


__all__ = ["DEFAULT_LOCATION", "SqlStore", "StoreError", "open_store", "store_location"]
