"""Verified backups and restores of the whole database (``dangjian backup`` / ``dangjian restore``).

A backup that is not verified is not a backup: ``sqlite3 … ".backup"`` during writes once left a
0-byte file that restored to an empty database. Here every backup is checked before it counts:

* SQLite: one read snapshot of the live database (WAL: writers carry on) is counted and
  checksummed table by table, copied with SQLite's online backup API (retried when busy), and
  the copy must pass ``PRAGMA integrity_check`` and give the same counts and checksums.
* PostgreSQL: ``pg_dump -Fc`` runs on a snapshot exported from a transaction that counts and
  checksums the same rows; ``pg_restore --list`` must read the archive back.

Each backup gets a manifest beside it (``<file>.manifest.json``): size and SHA-256 of the file,
per-table row counts and checksums, and a fingerprint of ``FIELD_ENCRYPTION_KEY`` (a keyed hash,
never the key): the ID and phone numbers in a backup can only be read with the key it was taken
under. ``restore`` refuses a file that is empty, truncated, corrupt, does not match its manifest,
or was taken under another key, before it touches anything; after restoring it checks the live
database against the manifest.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections
from django.utils import timezone

logger = logging.getLogger("dangjian.backup")

MANIFEST_SUFFIX = ".manifest.json"
MANIFEST_FORMAT = 1
SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"
BUSY_RETRIES = 8  # attempts at the online backup while the database is busy
FINGERPRINT_LABEL = b"dangjian-field-encryption-key-fingerprint-v1"


class BackupError(Exception):
    """Why a backup or restore was refused or failed, in Chinese for the operator."""


@dataclass
class Snapshot:
    """Row count and checksum of every table, as read from one consistent snapshot."""

    tables: dict[str, dict[str, Any]]

    def differences(self, other: Snapshot) -> list[str]:
        """Tables whose count or checksum differ, described in Chinese."""
        out = []
        for name in sorted(set(self.tables) | set(other.tables)):
            mine, theirs = self.tables.get(name), other.tables.get(name)
            if mine is None or theirs is None:
                out.append(f"表 {name} 只存在于其中一方")
            elif mine["rows"] != theirs["rows"]:
                out.append(f"表 {name} 行数不符（{mine['rows']} ≠ {theirs['rows']}）")
            elif mine["checksum"] != theirs["checksum"]:
                out.append(f"表 {name} 内容校验和不符")
        return out


def key_fingerprint(key: str | None = None) -> str:
    """A short keyed hash identifying FIELD_ENCRYPTION_KEY (the key cannot be derived from it)."""
    key = settings.FIELD_ENCRYPTION_KEY if key is None else key
    return hashlib.sha256(FINGERPRINT_LABEL + b":" + key.encode()).hexdigest()[:16]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def manifest_path(path: Path) -> Path:
    return path.with_name(path.name + MANIFEST_SUFFIX)


def default_backup_path(engine: str) -> Path:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    suffix = "sqlite3" if engine == "sqlite" else "dump"
    return Path(settings.VAR_DIR) / "backups" / f"dangjian-{stamp}.{suffix}"


def database_engine(alias: str = "default") -> str:
    vendor = connections[alias].vendor
    if vendor not in ("sqlite", "postgresql"):
        raise BackupError(f"不支持备份 {vendor} 数据库")
    return vendor


def _private(path: Path) -> None:
    # The file holds every member's personal record: readable by the service account only.
    path.chmod(0o600)


# --- SQLite -----------------------------------------------------------------------------------


def _sqlite_tables(con: sqlite3.Connection) -> list[str]:
    rows = con.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name"
    ).fetchall()
    return [r[0] for r in rows]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sqlite_snapshot(con: sqlite3.Connection) -> Snapshot:
    """Counts and checksums of every table, read through ``con`` (call inside one transaction)."""
    tables: dict[str, dict[str, Any]] = {}
    for name in _sqlite_tables(con):
        digest = hashlib.sha256()
        rows = 0
        sql = f"SELECT * FROM {_quote(name)} ORDER BY rowid"  # noqa: S608 — names from the schema
        for row in con.execute(sql):
            digest.update(repr(row).encode())
            digest.update(b"\n")
            rows += 1
        tables[name] = {"rows": rows, "checksum": digest.hexdigest()}
    return Snapshot(tables)


def _sqlite_connect(path: Path | str, *, readonly: bool = False) -> sqlite3.Connection:
    uri = f"file:{Path(path).resolve()}" + ("?mode=ro" if readonly else "")
    con = sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None)
    con.execute("PRAGMA busy_timeout = 30000")
    return con


def _integrity(con: sqlite3.Connection) -> str:
    try:
        rows = con.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    result = "; ".join(str(r[0]) for r in rows)
    return "" if result == "ok" else result


def _retry_busy(action: Callable[[], None], what: str, sleep: Callable[[float], None]) -> None:
    for attempt in range(1, BUSY_RETRIES + 1):
        try:
            action()
            return
        except sqlite3.OperationalError as exc:
            busy = "locked" in str(exc) or "busy" in str(exc)
            if not busy or attempt == BUSY_RETRIES:
                raise BackupError(
                    f"{what}失败：数据库一直处于忙碌状态（{exc}），请稍后重试"
                ) from exc
            pause = min(8.0, 0.25 * 2**attempt)
            logger.warning("%s：数据库忙，%.1f 秒后第 %d 次重试", what, pause, attempt + 1)
            sleep(pause)


def sqlite_backup(
    source: Path, target: Path, *, sleep: Callable[[float], None] = time.sleep
) -> dict[str, Any]:
    """Copy a live SQLite database to ``target`` and verify it; returns the manifest."""
    if not source.exists():
        raise BackupError(f"数据库文件不存在：{source}")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    src = _sqlite_connect(source)  # read-only use; mode=ro cannot open a WAL file without -shm
    try:
        # One read transaction: the counts and the copy see the same snapshot (WAL lets the
        # site keep writing meanwhile).
        src.execute("BEGIN")
        snapshot = sqlite_snapshot(src)

        def copy() -> None:
            dst = sqlite3.connect(partial)
            try:
                src.backup(dst, pages=-1)
            finally:
                dst.close()

        _retry_busy(copy, "备份", sleep)
        src.execute("COMMIT")
    finally:
        src.close()
    _private(partial)
    try:
        copied = _sqlite_connect(partial)
        try:
            copied.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            problem = _integrity(copied)
            if problem:
                raise BackupError(f"备份文件完整性检查未通过：{problem}")
            differences = snapshot.differences(sqlite_snapshot(copied))
        finally:
            copied.close()
        if differences:
            raise BackupError("备份文件与数据库快照不一致：" + "；".join(differences[:5]))
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return _manifest("sqlite", target, snapshot)


def sqlite_check_file(path: Path, manifest: dict[str, Any]) -> None:
    """Refuse a backup file that is not a sound SQLite database matching its manifest."""
    with path.open("rb") as f:
        if f.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
            raise BackupError("该文件不是 SQLite 数据库备份，未作任何更改")
    con = _sqlite_connect(path, readonly=True)
    try:
        problem = _integrity(con)
        if problem:
            raise BackupError(f"备份文件已损坏（完整性检查：{problem}），未作任何更改")
        con.execute("BEGIN")
        differences = Snapshot(manifest["tables"]).differences(sqlite_snapshot(con))
        con.execute("COMMIT")
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"备份文件已损坏（{exc}），未作任何更改") from exc
    finally:
        con.close()
    if differences:
        raise BackupError(
            "备份文件与其清单不一致：" + "；".join(differences[:5]) + "。未作任何更改"
        )


def sqlite_restore(
    backup: Path,
    live: Path,
    manifest: dict[str, Any],
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Overwrite the live database with a checked backup, then verify it against the manifest."""
    src = _sqlite_connect(backup, readonly=True)
    dst = _sqlite_connect(live)
    try:

        def copy() -> None:
            src.backup(dst, pages=-1)

        _retry_busy(copy, "恢复", sleep)
        problem = _integrity(dst)
        dst.execute("BEGIN")
        differences = Snapshot(manifest["tables"]).differences(sqlite_snapshot(dst))
        dst.execute("COMMIT")
    finally:
        src.close()
        dst.close()
    if problem or differences:
        raise BackupError(
            "恢复后的数据库校验未通过："
            + "；".join(([problem] if problem else []) + differences[:5])
        )


# --- PostgreSQL -------------------------------------------------------------------------------


def _pg_env(settings_dict: dict[str, Any]) -> dict[str, str]:
    env = dict(os.environ)
    mapping = {"HOST": "PGHOST", "PORT": "PGPORT", "USER": "PGUSER", "PASSWORD": "PGPASSWORD"}
    for key, var in mapping.items():
        if settings_dict.get(key):
            env[var] = str(settings_dict[key])
    env["PGDATABASE"] = str(settings_dict["NAME"])
    return env


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"找不到 {name}：请安装与数据库版本一致的 PostgreSQL 客户端工具")
    return found


def pg_snapshot(cursor: Any) -> Snapshot:
    """Counts and checksums of every table in the public schema, through ``cursor``."""
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    tables: dict[str, dict[str, Any]] = {}
    for (name,) in cursor.fetchall():
        q = '"' + name.replace('"', '""') + '"'
        cursor.execute(
            f"SELECT count(*), coalesce(md5(string_agg(md5(t::text), '' ORDER BY md5(t::text))), '')"  # noqa: S608
            f" FROM public.{q} t"
        )
        rows, checksum = cursor.fetchone()
        tables[name] = {"rows": int(rows), "checksum": checksum}
    return Snapshot(tables)


def _pg_connect(settings_dict: dict[str, Any]) -> Any:
    import psycopg

    return psycopg.connect(
        dbname=settings_dict["NAME"],
        user=settings_dict.get("USER") or None,
        password=settings_dict.get("PASSWORD") or None,
        host=settings_dict.get("HOST") or None,
        port=settings_dict.get("PORT") or None,
    )


def pg_backup(settings_dict: dict[str, Any], target: Path) -> dict[str, Any]:
    """``pg_dump -Fc`` of one exported snapshot, whose counts go into the manifest; verified."""
    pg_dump = _pg_tool("pg_dump")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    with _pg_connect(settings_dict) as con:
        con.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        with con.cursor() as cur:
            cur.execute("SELECT pg_export_snapshot()")
            snapshot_id = cur.fetchone()[0]
            snapshot = pg_snapshot(cur)
        run = subprocess.run(  # noqa: S603 — fixed arguments, no shell
            [pg_dump, "-Fc", "--no-owner", f"--snapshot={snapshot_id}", "-f", str(partial)],
            env=_pg_env(settings_dict),
            capture_output=True,
            text=True,
            check=False,
        )
        con.rollback()
    try:
        if run.returncode != 0:
            raise BackupError(f"pg_dump 失败：{run.stderr.strip()[:500]}")
        _private(partial)
        pg_check_archive(partial)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return _manifest("postgresql", target, snapshot)


def pg_check_archive(path: Path) -> None:
    """Refuse a file ``pg_restore`` cannot read, or one that holds no table data."""
    with path.open("rb") as f:
        if f.read(len(PG_MAGIC)) != PG_MAGIC:
            raise BackupError("该文件不是 pg_dump 自定义格式（-Fc）的备份，未作任何更改")
    listing = subprocess.run(  # noqa: S603
        [_pg_tool("pg_restore"), "--list", str(path)], capture_output=True, text=True, check=False
    )
    if listing.returncode != 0:
        raise BackupError(
            f"备份文件无法读取（pg_restore：{listing.stderr.strip()[:300]}），未作任何更改"
        )
    if "TABLE DATA" not in listing.stdout:
        raise BackupError("备份文件中没有任何表数据，未作任何更改")


def pg_restore(settings_dict: dict[str, Any], backup: Path, manifest: dict[str, Any]) -> None:
    """Replace the database's contents with the archive in one transaction, then verify."""
    run = subprocess.run(  # noqa: S603
        [
            _pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
            "--exit-on-error", "-d", str(settings_dict["NAME"]), str(backup),
        ],
        env=_pg_env(settings_dict),
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    if run.returncode != 0:
        raise BackupError(f"pg_restore 失败，数据库未被更改：{run.stderr.strip()[:500]}")
    with _pg_connect(settings_dict) as con, con.cursor() as cur:
        differences = Snapshot(manifest["tables"]).differences(pg_snapshot(cur))
    if differences:
        raise BackupError("恢复后的数据库校验未通过：" + "；".join(differences[:5]))


# --- manifest ---------------------------------------------------------------------------------


def _manifest(engine: str, path: Path, snapshot: Snapshot) -> dict[str, Any]:
    return {
        "format": MANIFEST_FORMAT,
        "engine": engine,
        "file": path.name,
        "size": path.stat().st_size,
        "sha256": file_sha256(path),
        "created_at": timezone.now().isoformat(),
        "key_fingerprint": key_fingerprint(),
        "tables": snapshot.tables,
        "rows": sum(t["rows"] for t in snapshot.tables.values()),
    }


def write_manifest(path: Path, manifest: dict[str, Any]) -> Path:
    out = manifest_path(path)
    out.write_text(json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True))
    _private(out)
    return out


def read_checked_manifest(path: Path, engine: str) -> dict[str, Any]:
    """The backup's manifest, after the file's presence, size and hash are checked against it."""
    if not path.is_file():
        raise BackupError(f"备份文件不存在：{path}")
    size = path.stat().st_size
    if size == 0:
        raise BackupError("备份文件是空的（0 字节），不能用于恢复，未作任何更改")
    mpath = manifest_path(path)
    if not mpath.is_file():
        raise BackupError(
            f"找不到备份清单 {mpath.name}：只能恢复由 dangjian backup 生成并经过校验的备份，"
            "未作任何更改"
        )
    try:
        manifest = json.loads(mpath.read_text())
        tables = manifest["tables"]
        expected_size, expected_hash = int(manifest["size"]), str(manifest["sha256"])
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupError(f"备份清单 {mpath.name} 无法读取，未作任何更改") from exc
    if not isinstance(tables, dict) or not tables:
        raise BackupError("备份清单中没有任何表，未作任何更改")
    if manifest.get("engine") != engine:
        raise BackupError(
            f"这是 {manifest.get('engine')} 数据库的备份，当前数据库是 {engine}，未作任何更改"
        )
    if size != expected_size:
        raise BackupError(
            f"备份文件大小与清单不符（{size} ≠ {expected_size} 字节），文件可能不完整，未作任何更改"
        )
    if file_sha256(path) != expected_hash:
        raise BackupError("备份文件内容与清单中的 SHA-256 不符，文件已损坏或被改动，未作任何更改")
    return dict(manifest)


def key_matches(manifest: dict[str, Any]) -> bool:
    return bool(manifest.get("key_fingerprint") == key_fingerprint())
