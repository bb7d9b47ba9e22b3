"""A viewer without the reveal right cannot rebuild a member's 公民身份号码 from any surface.

Each surface is tested as a property over generated valid numbers, birth dates and sexes: what
the response shows (mask, birth date, sex, age) leaves at least ``MIN_CANDIDATES`` numbers, no
mask shows the sequence or check digit, and the full number appears nowhere. A secretary holds
no reveal right (roles.py); a township party worker does, and reveals through an audited call.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db import transaction
from hypothesis import HealthCheck, given, settings

from dangjian.core.models import AuditLog
from dangjian.members.models import Member
from dangjian.members.tests.factories import make_member
from dangjian.members.tests.id_privacy import (
    assert_not_recoverable,
    id_numbers,
    json_strings,
    workbook_strings,
)

PROPERTY = settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _member(actor: Any, branch: Any, number: str, birth: dt.date, male: bool) -> Member:
    joined = dt.date(birth.year + 20, 7, 1)
    return make_member(
        actor,
        branch,
        id_number=number,
        birth_date=birth,
        male=male,
        joined_on=joined,
        full_member_on=joined.replace(year=joined.year + 1),
    )


def _check_surface(
    people: Any, tree: Any, sample: tuple[str, dt.date, bool], show: Callable[[Member], list[str]]
) -> None:
    number, birth, male = sample
    with transaction.atomic():  # one member per example, gone before the next one
        member = _member(people.county_admin, tree.village_a1, number, birth, male)
        assert_not_recoverable(show(member), number=number, birth=birth, male=male)
        transaction.set_rollback(True)


def _page(client: Any, url: str, **params: Any) -> list[str]:
    response = client.get(url, params)
    assert response.status_code == 200
    return [response.content.decode()]


@PROPERTY
@given(sample=id_numbers())
def test_member_page_cannot_be_used_to_rebuild_the_id_number(login, people, tree, sample):
    client = login(people.village_secretary)
    _check_surface(people, tree, sample, lambda m: _page(client, f"/members/{m.pk}/"))


@PROPERTY
@given(sample=id_numbers())
def test_member_list_cannot_be_used_to_rebuild_the_id_number(login, people, tree, sample):
    client = login(people.village_secretary)
    _check_surface(people, tree, sample, lambda m: _page(client, "/members/"))


@PROPERTY
@given(sample=id_numbers())
def test_member_api_list_and_detail_cannot_be_used_to_rebuild_it(login, people, tree, sample):
    client = login(people.village_secretary)

    def show(m: Member) -> list[str]:
        listing = client.get("/api/v1/members/")
        detail = client.get(f"/api/v1/members/{m.pk}")
        assert (listing.status_code, detail.status_code) == (200, 200)
        assert detail.json()["birth_date"] == m.birth_date.isoformat()  # shown beside the mask
        return json_strings(listing.content) + json_strings(detail.content)

    _check_surface(people, tree, sample, show)


@PROPERTY
@given(sample=id_numbers())
def test_roster_exports_cannot_be_used_to_rebuild_the_id_number(login, people, tree, sample):
    client = login(people.village_secretary)

    def show(m: Member) -> list[str]:
        texts = []
        for layout in ("roster", "national16"):
            # Asking for the reveal without the right still gets masks.
            response = client.get("/members/export/", {"layout": layout, "reveal": "1"})
            assert response.status_code == 200
            texts += workbook_strings(response.content)
        return texts

    _check_surface(people, tree, sample, show)
    assert not AuditLog.objects.filter(action="member.export_reveal").exists()


@PROPERTY
@given(sample=id_numbers())
def test_transfer_pages_cannot_be_used_to_rebuild_the_id_number(login, people, tree, sample):
    client = login(people.village_secretary)

    def show(m: Member) -> list[str]:
        return _page(client, "/transfers/picker/members/", q=m.name) + _page(
            client, "/transfers/new/", member=m.pk
        )

    _check_surface(people, tree, sample, show)


def test_an_old_mask_would_have_been_caught(people, tree):
    """The check can fail: the mask this replaced kept the last four characters."""
    import pytest

    from dangjian.members.tests.factories import make_id

    birth = dt.date(1980, 1, 1)
    number = make_id(birth)
    old = number[:6] + "********" + number[-4:]
    with pytest.raises(AssertionError):
        assert_not_recoverable([f"<td>{old}</td>"], number=number, birth=birth, male=True)
    with pytest.raises(AssertionError):
        assert_not_recoverable([f"<td>{number}</td>"], number=number, birth=birth, male=True)


def test_a_viewer_with_the_reveal_right_still_reveals_and_is_audited(login, people, tree):
    number, birth, male = "330102198507150413", dt.date(1985, 7, 15), True
    member = _member(people.county_admin, tree.village_a1, number, birth, male)
    assert member.id_number_masked == "330102************"
    client = login(people.township_a)
    page = client.get(f"/members/{member.pk}/")
    assert 'data-testid="reveal"' in page.content.decode() or "查看完整" in page.content.decode()

    response = client.post(f"/members/{member.pk}/reveal/")
    assert response.status_code == 200
    assert number in response.content.decode()
    api = client.post(f"/api/v1/members/{member.pk}/reveal")
    assert api.status_code == 200
    assert api.json()["id_number"] == number
    reveals = AuditLog.objects.filter(action="member.reveal", object_id=str(member.pk))
    assert reveals.count() == 2
    assert all(r.actor == people.township_a for r in reveals)
    assert all(number not in str(r.changes) for r in reveals)


def test_a_viewer_without_the_reveal_right_cannot_reveal(login, people, tree):
    member = _member(people.county_admin, tree.village_a1, "330102198507150413",
                     dt.date(1985, 7, 15), True)  # fmt: skip
    client = login(people.village_secretary)
    assert client.post(f"/members/{member.pk}/reveal/").status_code == 403
    assert client.post(f"/api/v1/members/{member.pk}/reveal").status_code == 403
    assert not AuditLog.objects.filter(action="member.reveal").exists()


def test_the_migration_remasks_stored_old_masks(people, tree):
    import importlib

    from django.apps import apps

    remask = importlib.import_module(
        "dangjian.members.migrations.0005_remask_id_region_only"
    ).remask
    member = make_member(people.county_admin, tree.village_a1)
    old = member.id_number_masked[:6] + "********1234"
    Member.objects.filter(pk=member.pk).update(id_number_masked=old)
    remask(apps, None)
    member.refresh_from_db()
    assert member.id_number_masked == old[:6] + "*" * 12
