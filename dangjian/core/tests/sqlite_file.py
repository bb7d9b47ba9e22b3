"""A fixture that moves a transactional test onto a real SQLite file.

The test database is SQLite's shared-cache in-memory database, whose locking is not the
production one: a busy writer is reported at once as "table is locked" instead of waiting
``busy_timeout``, and there is no WAL. Tests about lock waits need the real thing: a file in WAL
mode, where every thread opens its own connection. The fixture copies the migrated in-memory
database into a file with SQLite's backup API (faster than migrating), points the default
connection of every thread at it, and puts everything back before the test's flush.
"""

from __future__ import annotations

import copy
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections


@pytest.fixture
def sqlite_file_db(transactional_db: None, tmp_path: Path) -> Iterator[Path | None]:
    """The path of a file copy of the test database, in use by every thread (None on PG)."""
    original = connections["default"]
    if original.vendor != "sqlite":
        yield None  # PostgreSQL: already real connections and real locks
        return
    original.ensure_connection()
    path = tmp_path / "dangjian.sqlite3"
    target = sqlite3.connect(path)
    original.connection.backup(target)
    target.close()
    saved = connections.settings["default"]
    file_settings = copy.deepcopy(saved) | {"NAME": str(path)}
    connections.settings["default"] = file_settings  # threads build their connections from this
    file_connection = original.__class__(file_settings, "default")
    connections["default"] = file_connection
    try:
        yield path
    finally:
        file_connection.close()
        connections["default"] = original
        connections.settings["default"] = saved


def set_busy_timeout(milliseconds: int) -> None:
    """Make lock waits on the file database give up sooner (for tests that need a timeout)."""
    options = connections.settings["default"]["OPTIONS"]
    options["init_command"] = re.sub(
        r"busy_timeout=\d+", f"busy_timeout={milliseconds}", options["init_command"]
    )
    connections["default"].close()  # reconnects with the new setting
