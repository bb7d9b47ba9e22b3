"""A household import and other users' writes at the same time, on a real SQLite file (or
PostgreSQL): every row is checked before the write lock is taken, the write is one short
transaction, and nobody gets a 500."""

from __future__ import annotations

import io
import threading
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import close_old_connections, connection
from django.test import Client
from openpyxl import Workbook

from dangjian.core.models import AuditLog
from dangjian.core.tests.sqlite_file import sqlite_file_db
from dangjian.grid import excel, services
from dangjian.grid.models import Grid, Household
from dangjian.grid.tests.factories import make_grid

__all__ = ["sqlite_file_db"]

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BACKEND = "dangjian.accounts.backends.UsernameOrMobileBackend"
HEADER = ["住址", "户主姓名", "家庭人口", "联系电话", "户主身份证号", "标签", "备注"]


def _upload(rows: int) -> SimpleUploadedFile:
    wb = Workbook()
    ws = wb.active
    ws.title = excel.SHEET
    ws.append(HEADER)
    for n in range(rows):
        ws.append([f"一组 {n} 号", f"户主{n}", 3, f"139{n:08d}", "", "低保", ""])
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile("住户.xlsx", out.getvalue())


def _client(user: Any) -> Client:
    client = Client()
    client.raise_request_exception = False
    client.force_login(user, backend=BACKEND)
    return client


def test_a_household_import_and_concurrent_writes_give_nobody_a_500(sqlite_file_db, people, tree):
    grid = make_grid(tree.village_a1, "甲村第一网格")
    other = make_grid(tree.village_a1, "甲村第二网格")
    done = threading.Event()
    statuses: list[int] = []

    def write_until_done(client: Client, k: int) -> None:
        try:
            n = 0
            while not done.is_set() or n < 3:
                r = client.patch(
                    f"/api/v1/grid/grids/{other.pk}",
                    {"name": f"网格{k}-{n}"},
                    content_type="application/json",
                )
                statuses.append(r.status_code)
                n += 1
        finally:
            close_old_connections()
            connection.close()

    writers = [_client(people.village_secretary) for _ in range(2)]
    threads = [
        threading.Thread(target=write_until_done, args=(c, k)) for k, c in enumerate(writers)
    ]
    for t in threads:
        t.start()
    try:
        r = _client(people.village_secretary).post(
            f"/grid/{grid.pk}/import/", {"file": _upload(500)}
        )
    finally:
        done.set()
        for t in threads:
            t.join()

    assert r.status_code == 302
    assert Household.objects.filter(grid=grid).count() == 500
    assert set(statuses) == {200}, statuses
    assert Grid.objects.get(pk=other.pk).name.startswith("网格")


def test_a_household_import_checks_every_row_outside_any_transaction(
    sqlite_file_db, people, tree, monkeypatch
):
    grid = make_grid(tree.village_a1, "甲村第一网格")
    seen: list[bool] = []
    real = services.household_prepare

    def spy(**kwargs: Any) -> Any:
        seen.append(connection.in_atomic_block)
        return real(**kwargs)

    monkeypatch.setattr(services, "household_prepare", spy)
    result = excel.household_import(actor=people.village_secretary, grid=grid, file=_upload(30))
    assert result.created == 30
    assert not result.errors
    assert seen == [False] * 30
    h = Household.objects.get(address="一组 7 号")
    assert [t.code for t in h.tags.all()] == ["dibao"]
    assert AuditLog.objects.filter(action="household.create").count() == 30
    assert AuditLog.objects.get(action="household.import").changes == {"rows": 30}


def test_a_grid_closed_between_check_and_write_gets_nothing(
    sqlite_file_db, people, tree, monkeypatch
):
    grid = make_grid(tree.village_a1, "甲村第一网格")
    real = services.households_import_write

    def closed_meanwhile(**kwargs: Any) -> Any:
        Grid.objects.filter(pk=grid.pk).update(is_active=False)
        return real(**kwargs)

    monkeypatch.setattr(services, "households_import_write", closed_meanwhile)
    result = excel.household_import(actor=people.village_secretary, grid=grid, file=_upload(5))
    assert result.created == 0
    assert result.errors == ["该网格已停用，不能登记住户"]
    assert not Household.objects.exists()
    assert not AuditLog.objects.filter(action__startswith="household.").exists()
