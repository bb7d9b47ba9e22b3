"""``dangjian worker`` survives lock waits and errors, and still runs the queue afterwards."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from dangjian.core.management.commands.worker import ResilientWorker
from dangjian.core.tests.sqlite_file import sqlite_file_db

__all__ = ["sqlite_file_db"]

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@task()
def shout_task(word: str) -> str:
    return word.upper()


@task()
def broken_task() -> None:
    raise ValueError("任务本身出错")


def _worker(**kwargs: Any) -> ResilientWorker:
    options: dict[str, Any] = {
        "queue_names": ["default"],
        "interval": 0,
        "batch": False,
        "backend_name": "default",
        "startup_delay": False,
        "max_tasks": None,
        "worker_id": "test-worker",
        "excluded_queue_names": [],
        "max_backoff": 0.05,
    }
    return ResilientWorker(**(options | kwargs))


def _status(result: Any) -> str:
    return str(DBTaskResult.objects.get(pk=result.id).status)


def _hold_write_lock(path: Path, seconds: float, held: threading.Event, log: list[str]) -> None:
    """Another process's long write: its own connection holds the write lock, then commits."""
    con = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        con.execute("BEGIN IMMEDIATE")
        held.set()
        time.sleep(seconds)
        log.append("released")
        con.execute("COMMIT")
    finally:
        con.close()


def test_worker_survives_a_write_lock_held_for_ten_seconds_then_runs_the_queued_task(
    sqlite_file_db, settings, caplog
):
    if sqlite_file_db is None:
        pytest.skip("SQLite lock waits only")
    settings.TASKS = DB_TASKS
    result = shout_task.enqueue("ok")
    held, events = threading.Event(), []
    holder = threading.Thread(target=_hold_write_lock, args=(sqlite_file_db, 10, held, events))
    holder.start()
    assert held.wait(5)
    caplog.set_level(logging.INFO, logger="dangjian.worker")
    try:
        call_command(
            "worker", "--no-startup-delay", "--interval=0.2", "--max-tasks=1", "--max-backoff=1"
        )
        events.append("worker done")
    finally:
        holder.join()

    lock_errors = [
        r
        for r in caplog.records
        if r.name == "dangjian.worker"
        and r.exc_info
        and isinstance(r.exc_info[1], OperationalError)
        and "locked" in str(r.exc_info[1])
    ]
    assert lock_errors, "the worker never waited on the lock"
    assert "后台任务进程出错" in lock_errors[0].getMessage()
    # It ran the task only after the lock was gone, and then exited on --max-tasks, not on error.
    assert events == ["released", "worker done"]
    assert _status(result) == "SUCCESSFUL"
    assert DBTaskResult.objects.get(pk=result.id).return_value == "OK"


def test_a_failing_task_is_marked_failed_and_the_worker_runs_the_next_one(settings):
    settings.TASKS = DB_TASKS
    bad = broken_task.enqueue()
    good = shout_task.enqueue("next")
    _worker(batch=True).run()
    assert _status(bad) == "FAILED"
    assert _status(good) == "SUCCESSFUL"


def test_an_unexpected_error_in_the_loop_is_logged_and_the_worker_keeps_going(
    settings, monkeypatch, caplog
):
    settings.TASKS = DB_TASKS
    result = shout_task.enqueue("still here")
    real_ready = DBTaskResult.objects.ready
    calls = {"n": 0}

    def flaky_ready() -> Any:
        calls["n"] += 1
        if calls["n"] <= 2:
            raise RuntimeError("数据库连接断开")
        return real_ready()

    monkeypatch.setattr(DBTaskResult.objects, "ready", flaky_ready)
    worker = _worker(max_tasks=1)
    worker.run()
    errors = [r for r in caplog.records if r.name == "dangjian.worker" and r.exc_info]
    assert [type(r.exc_info[1]) for r in errors] == [RuntimeError, RuntimeError]
    assert "连续第 2 次" in errors[1].getMessage()
    assert _status(result) == "SUCCESSFUL"
    assert worker.failures == 0  # a good cycle resets the back-off


def test_back_off_doubles_per_failure_and_stops_at_the_cap():
    worker = _worker(max_backoff=8)
    waits = []
    for n in (1, 2, 3, 4, 5, 6):
        worker.failures = n
        waits.append(worker.backoff())
    assert waits == [0.5, 1, 2, 4, 8, 8]


def test_a_task_whose_outcome_could_not_be_saved_is_recorded_as_failed_later(settings, monkeypatch):
    settings.TASKS = DB_TASKS
    result = shout_task.enqueue("lost")
    locked = OperationalError("database is locked")

    def never(self: DBTaskResult, value: Any) -> None:
        raise locked

    def failing_too(self: DBTaskResult, exc: BaseException) -> None:
        raise locked

    monkeypatch.setattr(DBTaskResult, "set_successful", never)
    monkeypatch.setattr(DBTaskResult, "set_failed", failing_too)
    worker = _worker()
    with pytest.raises(OperationalError):
        worker.cycle()
    assert _status(result) == "RUNNING"
    monkeypatch.undo()
    worker.cycle()
    assert _status(result) == "FAILED"
