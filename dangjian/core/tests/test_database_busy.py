"""A database lock wait is "busy, try again" in Chinese (a 503), never a 500."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError
from django.test import Client, RequestFactory

from dangjian.core import views
from dangjian.core.middleware import BUSY_MESSAGE, is_lock_wait
from dangjian.core.models import Notification
from dangjian.core.tests.sqlite_file import set_busy_timeout, sqlite_file_db
from dangjian.grid.models import Grid
from dangjian.grid.tests.factories import make_grid

__all__ = ["sqlite_file_db"]

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


class WriteLock:
    """Another connection holding SQLite's write lock until released (a long import, say)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.held = threading.Event()
        self.release = threading.Event()
        self.thread = threading.Thread(target=self._hold)

    def _hold(self) -> None:
        con = sqlite3.connect(self.path, timeout=0, isolation_level=None)
        try:
            con.execute("BEGIN IMMEDIATE")
            self.held.set()
            self.release.wait(30)
            con.execute("ROLLBACK")
        finally:
            con.close()

    def __enter__(self) -> WriteLock:
        self.thread.start()
        assert self.held.wait(5)
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.thread.join()


@pytest.fixture
def locked_db(sqlite_file_db):  # type: ignore[no-untyped-def]
    if sqlite_file_db is None:
        pytest.skip("SQLite's write lock")
    set_busy_timeout(200)  # give up after 0.2 s instead of 5 s: the outcome is the same
    return sqlite_file_db


def test_a_page_write_that_times_out_on_the_lock_is_a_chinese_503_page(
    locked_db, people, login, caplog
):
    client = login(people.member)
    Notification.objects.create(recipient=people.member, title="开会通知", body="")
    with WriteLock(locked_db):
        r = client.post("/system/notifications/read-all/")
    assert r.status_code == 503
    assert r["Retry-After"] == "5"
    html = r.content.decode()
    assert "系统繁忙" in html
    assert BUSY_MESSAGE in html
    assert "locked" not in html
    assert "OperationalError" not in html
    assert Notification.objects.get().read_at is None  # nothing changed
    assert any("数据库忙" in rec.getMessage() for rec in caplog.records)
    # Once the lock is gone the same request works.
    assert client.post("/system/notifications/read-all/").status_code == 302
    assert Notification.objects.get().read_at is not None


def test_an_api_write_that_times_out_on_the_lock_is_a_json_503(locked_db, people, tree):
    grid = make_grid(tree.village_a1, "甲村第一网格")
    client = Client()
    client.force_login(
        people.village_secretary, backend="dangjian.accounts.backends.UsernameOrMobileBackend"
    )
    with WriteLock(locked_db):
        r = client.patch(
            f"/api/v1/grid/grids/{grid.pk}", {"name": "新名字"}, content_type="application/json"
        )
    assert r.status_code == 503
    assert r.json() == {"code": "busy", "message": BUSY_MESSAGE}
    assert Grid.objects.get(pk=grid.pk).name == "甲村第一网格"


def test_a_page_read_that_meets_a_lock_wait_is_retried_once(people, login, monkeypatch):
    calls = {"n": 0}
    real = views.selectors.notifications_for

    def flaky(**kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise OperationalError("database is locked")
        return real(**kwargs)

    monkeypatch.setattr(views.selectors, "notifications_for", flaky)
    r = login(people.member).get("/system/notifications/")
    assert r.status_code == 200
    assert calls["n"] == 2


def test_a_read_still_locked_on_retry_is_a_503_not_a_500(people, login, monkeypatch):
    def locked(**kwargs: Any) -> Any:
        raise OperationalError("database is locked")

    monkeypatch.setattr(views.selectors, "notifications_for", locked)
    r = login(people.member).get("/system/notifications/")
    assert r.status_code == 503
    assert "系统繁忙" in r.content.decode()


def test_other_database_errors_are_still_errors(people, login, monkeypatch):
    def broken(**kwargs: Any) -> Any:
        raise OperationalError("no such table: core_notification")

    monkeypatch.setattr(views.selectors, "notifications_for", broken)
    client = login(people.member)
    client.raise_request_exception = False
    assert client.get("/system/notifications/").status_code == 500


def test_a_lock_wait_outside_any_view_is_a_503_too():
    request = RequestFactory().post("/members/")
    try:
        raise OperationalError("database is locked")
    except OperationalError:
        r = views.server_error(request)
    assert r.status_code == 503
    assert BUSY_MESSAGE in r.content.decode()
    r = views.server_error(RequestFactory().get("/"))
    assert r.status_code == 500


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (OperationalError("database is locked"), True),
        (OperationalError("database table is locked"), True),
        (OperationalError("no such table: x"), False),
        (ValueError("database is locked"), False),
        (None, False),
    ],
)
def test_what_counts_as_a_lock_wait(error, expected):
    assert is_lock_wait(error) is expected
