"""A large member import and other users' writes at the same time, on a real SQLite file (or
PostgreSQL): the import checks everything before it takes the write lock and writes in one
short transaction, so nobody gets a 500 and nobody waits out the lock timeout."""

from __future__ import annotations

import datetime as dt
import io
import threading
import time
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import close_old_connections, connection
from django.test import Client
from openpyxl import Workbook

from dangjian.core.tests.sqlite_file import sqlite_file_db
from dangjian.grid.models import Grid
from dangjian.grid.tests.factories import make_grid
from dangjian.members import excel, services
from dangjian.members.models import Member
from dangjian.members.rules import id_check_digit

__all__ = ["sqlite_file_db"]

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ROWS = 1500
BACKEND = "dangjian.accounts.backends.UsernameOrMobileBackend"


def _id(n: int) -> tuple[str, dt.date]:
    born = dt.date(1970, 1, 1) + dt.timedelta(days=n // 500)
    first17 = f"110101{born:%Y%m%d}{n % 500 * 2 + 1:03d}"  # odd 17th digit: a man
    return first17 + id_check_digit(first17), born


def _workbook(branch: Any, rows: int) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = excel.DATA_SHEET
    ws.append([c.header for c in excel.COLUMNS])
    for n in range(rows):
        number, born = _id(n)
        values = {
            "姓名": f"导入{n}", "性别": "1 男", "民族": "01 汉族", "公民身份号码": number,
            "出生日期": born, "学历": "21 大学本科毕业", "人员类别": "正式党员",
            "所在党支部": f"{branch.code} {branch.name}", "加入党组织日期": dt.date(2005, 7, 1),
            "转为正式党员日期": dt.date(2006, 7, 1), "工作岗位": "1 农牧渔民",
            "联系电话": f"139{n:08d}",
        }  # fmt: skip
        ws.append([values.get(c.header, "") for c in excel.COLUMNS])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _client(user: Any) -> Client:
    client = Client()
    client.raise_request_exception = False  # a 500 is a status to count, not a test crash
    client.force_login(user, backend=BACKEND)
    return client


def test_an_import_and_concurrent_writes_give_nobody_a_500(
    sqlite_file_db, people, tree, monkeypatch
):
    grid = make_grid(tree.village_a1, "甲村第一网格")
    data = _workbook(tree.village_a1, ROWS)
    importer = _client(people.county_admin)
    writers = [_client(people.village_secretary) for _ in range(2)]
    import_done, in_write = threading.Event(), threading.Event()
    statuses: list[int] = []

    # Keep the import's write transaction open until a writer's request is under way, so at
    # least one write has to queue behind it.
    real_insert = services.insert_rows
    in_flight = [0]
    count_lock = threading.Lock()

    def insert_rows(*args: Any, **kwargs: Any) -> None:
        if not in_write.is_set():
            in_write.set()
            for _ in range(1000):
                if in_flight[0]:
                    break
                time.sleep(0.01)
        real_insert(*args, **kwargs)

    monkeypatch.setattr(services, "insert_rows", insert_rows)

    def write_until_done(client: Client, k: int) -> None:
        try:
            n = 0
            while not import_done.is_set() or n < 3:
                with count_lock:
                    in_flight[0] += 1
                r = client.patch(
                    f"/api/v1/grid/grids/{grid.pk}",
                    {"name": f"网格{k}-{n}"},
                    content_type="application/json",
                )
                with count_lock:
                    in_flight[0] -= 1
                statuses.append(r.status_code)
                n += 1
        finally:
            close_old_connections()
            connection.close()

    threads = [
        threading.Thread(target=write_until_done, args=(c, k)) for k, c in enumerate(writers)
    ]
    for t in threads:
        t.start()
    try:
        upload = SimpleUploadedFile("党员信息.xlsx", data)
        r = importer.post("/members/import/", {"file": upload})
    finally:
        import_done.set()
        for t in threads:
            t.join()

    assert r.status_code == 302, r.content.decode()[:2000]
    assert Member.objects.filter(branch=tree.village_a1).count() == ROWS
    assert in_write.is_set()
    assert len(statuses) >= 6
    assert set(statuses) == {200}, statuses  # no 500, and no 503 either: nobody timed out
    assert Grid.objects.get(pk=grid.pk).name.startswith("网格")


def test_an_import_checks_and_encrypts_outside_any_transaction(
    sqlite_file_db, people, tree, monkeypatch
):
    seen: dict[str, list[bool]] = {"clean": [], "build": [], "insert": []}

    def spy(name: str, real: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            seen[name].append(connection.in_atomic_block)
            return real(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(excel, "member_clean", spy("clean", excel.member_clean))
    monkeypatch.setattr(services, "member_build", spy("build", services.member_build))
    monkeypatch.setattr(services, "insert_rows", spy("insert", services.insert_rows))
    result = excel.member_import(actor=people.county_admin, file=_workbook(tree.village_a1, 20))
    assert result.ok
    assert result.created == 20
    assert seen["clean"] == [False] * 20
    assert seen["build"] == [False] * 20
    assert seen["insert"]
    assert all(seen["insert"])


def test_a_person_registered_between_check_and_write_makes_the_import_write_nothing(
    sqlite_file_db, people, tree, monkeypatch
):
    data = _workbook(tree.village_a1, 5)
    number, born = _id(3)
    real_write = services.members_bulk_write

    def someone_else_first(**kwargs: Any) -> Any:
        services.member_create(
            actor=people.county_admin,
            branch=tree.village_a2,
            data={
                "name": "先登记", "sex": "1", "ethnicity": "01", "id_number": number,
                "birth_date": born, "education": "21", "category": "full",
                "joined_on": dt.date(2005, 7, 1), "full_member_on": dt.date(2006, 7, 1),
                "job": "1",
            },
        )  # fmt: skip
        return real_write(**kwargs)

    monkeypatch.setattr(excel, "members_bulk_write", someone_else_first)
    result = excel.member_import(actor=people.county_admin, file=data)
    assert result.created == 0
    assert "未作任何更改" in result.file_error
    assert not Member.objects.filter(branch=tree.village_a1).exists()
