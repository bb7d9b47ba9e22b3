"""``dangjian backup`` and ``dangjian restore``: verified, snapshot-exact, and refusing bad files."""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import close_old_connections, connection

from dangjian.accounts.models import User
from dangjian.core import backup
from dangjian.core.models import Notification
from dangjian.core.tests.sqlite_file import sqlite_file_db

__all__ = ["sqlite_file_db"]

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def live(sqlite_file_db, settings, tmp_path):  # type: ignore[no-untyped-def]
    if sqlite_file_db is None:
        pytest.skip("the SQLite path (PostgreSQL has its own test below)")
    settings.VAR_DIR = tmp_path / "var"  # safety copies go here, not into the real var/
    return sqlite_file_db


def _live_snapshot(path: Path) -> dict[str, Any]:
    connection.close()
    con = backup._sqlite_connect(path)
    try:
        con.execute("BEGIN")
        return backup.sqlite_snapshot(con).tables
    finally:
        con.close()


def _backup(path: Path) -> dict[str, Any]:
    call_command("backup", str(path))
    return json.loads(backup.manifest_path(path).read_text())


def test_backup_during_writes_then_restore_gives_the_snapshots_counts_and_checksums(
    live, people, tmp_path
):
    started, stop = threading.Event(), threading.Event()
    written = [0]

    def write() -> None:
        try:
            while not stop.is_set():
                Notification.objects.create(recipient=people.member, title=f"通知{written[0]}")
                written[0] += 1
                if written[0] >= 20:
                    started.set()
        finally:
            close_old_connections()
            connection.close()

    writers = [threading.Thread(target=write) for _ in range(2)]
    for t in writers:
        t.start()
    try:
        assert started.wait(30)
        target = tmp_path / "backups" / "nightly.sqlite3"
        manifest = _backup(target)
        during = written[0]
        while written[0] < during + 20:  # the writers carried on after the snapshot
            stop.wait(0.01)
    finally:
        stop.set()
        for t in writers:
            t.join()

    snapshot_rows = manifest["tables"]["core_notification"]["rows"]
    assert snapshot_rows >= 20
    assert Notification.objects.count() > snapshot_rows
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert stat.S_IMODE(backup.manifest_path(target).stat().st_mode) == 0o600

    call_command("restore", str(target), "--noinput")

    assert _live_snapshot(live) == manifest["tables"]
    assert Notification.objects.count() == snapshot_rows
    assert list((tmp_path / "var" / "backups").glob("pre-restore-*.sqlite3"))  # safety copy


def test_the_manifest_holds_a_key_fingerprint_never_the_key(live, people, tmp_path, settings):
    manifest = _backup(tmp_path / "b.sqlite3")
    text = backup.manifest_path(tmp_path / "b.sqlite3").read_text()
    assert settings.FIELD_ENCRYPTION_KEY not in text
    assert manifest["key_fingerprint"] == backup.key_fingerprint()
    assert manifest["key_fingerprint"] != backup.key_fingerprint("another key")
    assert manifest["engine"] == "sqlite"
    assert manifest["tables"]["accounts_user"]["rows"] == User.objects.count()


def test_backup_will_not_overwrite_an_existing_file(live, tmp_path):
    target = tmp_path / "b.sqlite3"
    target.write_bytes(b"keep me")
    with pytest.raises(CommandError, match="已存在"):
        call_command("backup", str(target))
    assert target.read_bytes() == b"keep me"


def _refused(path: Path, live: Path, match: str, *extra: str) -> None:
    before = _live_snapshot(live)
    with pytest.raises(CommandError, match=match):
        call_command("restore", str(path), "--noinput", *extra)
    assert _live_snapshot(live) == before  # nothing changed


def test_restoring_a_zero_byte_file_is_refused_and_changes_nothing(live, people, tmp_path):
    empty = tmp_path / "empty.sqlite3"
    empty.write_bytes(b"")
    _refused(empty, live, "空的")
    # Even beside a real backup's manifest.
    real = tmp_path / "real.sqlite3"
    _backup(real)
    backup.manifest_path(real).rename(backup.manifest_path(empty))
    _refused(empty, live, "空的")


def test_restoring_a_file_without_its_manifest_is_refused(live, people, tmp_path):
    real = tmp_path / "real.sqlite3"
    _backup(real)
    backup.manifest_path(real).unlink()
    _refused(real, live, "找不到备份清单")


def test_restoring_a_truncated_or_corrupted_file_is_refused_and_changes_nothing(
    live, people, tmp_path
):
    real = tmp_path / "real.sqlite3"
    _backup(real)
    data = real.read_bytes()
    real.write_bytes(data[: len(data) // 2])
    _refused(real, live, "文件可能不完整")
    real.write_bytes(data[:4096] + b"\x00" * 8192 + data[4096 + 8192 :])
    _refused(real, live, "SHA-256")


def test_a_corrupt_file_with_a_doctored_manifest_still_fails_the_database_checks(
    live, people, tmp_path
):
    real = tmp_path / "real.sqlite3"
    manifest = _backup(real)
    data = bytearray(real.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 4096] = os.urandom(4096)
    real.write_bytes(bytes(data))
    manifest |= {"sha256": backup.file_sha256(real), "size": real.stat().st_size}
    backup.manifest_path(real).write_text(json.dumps(manifest))
    _refused(real, live, "已损坏|不一致")
    not_sqlite = tmp_path / "notes.sqlite3"
    not_sqlite.write_bytes(b"hello" * 100)
    manifest |= {"sha256": backup.file_sha256(not_sqlite), "size": 500}
    backup.manifest_path(not_sqlite).write_text(json.dumps(manifest))
    _refused(not_sqlite, live, "不是 SQLite 数据库备份")


def test_a_backup_taken_under_another_encryption_key_is_refused_unless_accepted(
    live, people, tmp_path, settings
):
    real = tmp_path / "real.sqlite3"
    manifest = _backup(real)
    Notification.objects.create(recipient=people.member, title="备份之后")
    settings.FIELD_ENCRYPTION_KEY = "a-different-key"
    _refused(real, live, "加密密钥")
    call_command("restore", str(real), "--noinput", "--accept-other-key", "--no-safety-copy")
    assert _live_snapshot(live) == manifest["tables"]


# --- PostgreSQL -------------------------------------------------------------------------------


def _pg_admin() -> Any:
    psycopg = pytest.importorskip("psycopg")
    try:
        return psycopg.connect(
            "postgres://postgres@127.0.0.1:5432/postgres", connect_timeout=3, autocommit=True
        )
    except Exception:
        pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432")


@pytest.fixture
def scratch_pg() -> Any:
    """A throw-away PostgreSQL database with two small tables."""
    admin = _pg_admin()
    name = f"dangjian_backup_test_{os.getpid()}"
    admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.execute(f'CREATE DATABASE "{name}"')
    settings_dict = {"NAME": name, "USER": "postgres", "HOST": "127.0.0.1", "PORT": 5432}
    try:
        with backup._pg_connect(settings_dict) as con:
            con.execute("CREATE TABLE member (id serial PRIMARY KEY, name text, born date)")
            con.execute("CREATE TABLE note (id serial PRIMARY KEY, body text)")
            con.execute(
                "INSERT INTO member (name, born) "
                "SELECT '党员' || g, date '1980-01-01' + g FROM generate_series(1, 300) g"
            )
            con.execute("INSERT INTO note (body) VALUES ('一'), ('二')")
        yield settings_dict
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _pg_tables(settings_dict: dict[str, Any]) -> dict[str, Any]:
    with backup._pg_connect(settings_dict) as con, con.cursor() as cur:
        return backup.pg_snapshot(cur).tables


@pytest.mark.django_db(transaction=False)
def test_postgresql_backup_is_verified_and_restores_its_snapshot(scratch_pg, tmp_path):
    target = tmp_path / "pg.dump"
    manifest = backup.pg_backup(scratch_pg, target)
    assert manifest["tables"]["member"]["rows"] == 300
    assert manifest["tables"] == _pg_tables(scratch_pg)
    with backup._pg_connect(scratch_pg) as con:
        con.execute("DELETE FROM member WHERE id > 100")
        con.execute("INSERT INTO note (body) VALUES ('备份之后')")
    backup.pg_check_archive(target)
    backup.pg_restore(scratch_pg, target, manifest)
    assert _pg_tables(scratch_pg) == manifest["tables"]


@pytest.mark.django_db(transaction=False)
def test_postgresql_restore_refuses_an_empty_or_foreign_file(scratch_pg, tmp_path):
    before = _pg_tables(scratch_pg)
    empty = tmp_path / "empty.dump"
    empty.write_bytes(b"")
    with pytest.raises(backup.BackupError, match="空的"):
        backup.read_checked_manifest(empty, "postgresql")
    junk = tmp_path / "junk.dump"
    junk.write_bytes(b"PGDMP" + b"\x00" * 50)
    with pytest.raises(backup.BackupError, match="无法读取"):
        backup.pg_check_archive(junk)
    assert _pg_tables(scratch_pg) == before
