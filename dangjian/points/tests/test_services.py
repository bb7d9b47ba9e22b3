"""Manual awards, reversals, self-reports, period close and the catalogue: rules and bad input."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from dangjian.core.models import AuditLog, Notification
from dangjian.points import services
from dangjian.points.models import (
    PointsBalance,
    PointsClaim,
    PointsEntry,
    PointsItem,
    PointsPeriod,
    PointsScheme,
)
from dangjian.points.selectors import board, passbook, period_reconcile
from dangjian.points.tests.factories import TODAY, default_item, png_bytes, roll

__all__ = ["roll"]

pytestmark = pytest.mark.django_db

ON = dt.date(2026, 11, 10)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)


def _photo() -> SimpleUploadedFile:
    return SimpleUploadedFile("photo.png", png_bytes(), content_type="image/png")


def _award(people, member, code="discipline_violation", on=ON, reason="不参加村里集体劳动"):
    return services.points_award_manual(
        actor=people.village_secretary, member=member, item=default_item(code), on=on,
        reason=reason,
    )  # fmt: skip


# --- manual awards --------------------------------------------------------------------------


def test_secretary_deducts_with_a_reason_and_the_passbook_shows_it(people, roll):
    entry = _award(people, roll.me)
    assert entry.points == Decimal(-10)
    assert entry.origin == PointsEntry.Origin.MANUAL
    assert entry.actor == people.village_secretary
    book = passbook(member=roll.me, today=TODAY)
    assert book.balance == Decimal(90)
    assert [e.reason for e in book.entries] == ["不参加村里集体劳动"]
    assert AuditLog.objects.filter(action="points.award").count() == 1


def test_award_without_a_reason_is_refused_and_nothing_changes(people, roll):
    with pytest.raises(ValidationError, match="请填写事由"):
        _award(people, roll.me, reason="  ")
    assert PointsEntry.objects.count() == 0


def test_award_for_a_member_outside_the_actors_scope_is_404(people, roll):
    with pytest.raises(Http404):
        _award(people, roll.outsider)
    assert PointsEntry.objects.count() == 0


def test_a_member_cannot_award_points_in_their_own_branch(people, roll):
    with pytest.raises(PermissionDenied):
        services.points_award_manual(
            actor=people.member, member=roll.others[0], item=default_item("role_model"), on=ON,
            reason="自己加分",
        )  # fmt: skip
    assert PointsEntry.objects.count() == 0


def test_a_rule_used_outside_its_year_is_refused(people, roll):
    with pytest.raises(ValidationError, match="属于2025年度方案，不能用于2026年"):
        services.points_award_manual(
            actor=people.village_secretary, member=roll.me,
            item=default_item("role_model", 2025), on=ON, reason="表彰",
        )  # fmt: skip
    assert PointsEntry.objects.count() == 0


def test_automatic_items_cannot_be_entered_by_hand(people, roll):
    with pytest.raises(ValidationError, match="由系统自动记分"):
        _award(people, roll.me, code="meeting_present")


def test_manual_cap_books_the_rest_then_refuses(people, roll):
    # role_model: +5, at most 15 a year.
    got = [_award(people, roll.me, code="role_model", reason="抗洪").points for _ in range(3)]
    assert got == [Decimal(5)] * 3
    with pytest.raises(ValidationError, match="每年最多15"):
        _award(people, roll.me, code="role_model", reason="抗洪")
    assert PointsEntry.objects.count() == 3


def test_future_dates_are_refused(people, roll):
    with pytest.raises(ValidationError, match="不能晚于今天"):
        _award(people, roll.me, on=TODAY + dt.timedelta(days=1))


# --- reversals ------------------------------------------------------------------------------


def test_reversal_is_a_new_negative_entry_and_the_original_is_unchanged(people, roll):
    entry = _award(people, roll.me)
    rev = services.points_entry_reverse(
        actor=people.village_secretary, entry=entry, reason="核实后不属实"
    )
    entry.refresh_from_db()
    assert entry.points == Decimal(-10)  # never edited
    assert rev.points == Decimal(10)
    assert rev.reverses == entry
    assert rev.occurred_on == entry.occurred_on
    assert rev.origin == PointsEntry.Origin.REVERSAL
    assert passbook(member=roll.me, today=TODAY).balance == Decimal(100)
    assert PointsEntry.objects.count() == 2


def test_an_entry_is_reversed_once_and_a_reversal_is_never_reversed(people, roll):
    entry = _award(people, roll.me)
    rev = services.points_entry_reverse(actor=people.village_secretary, entry=entry, reason="误录")
    with pytest.raises(ValidationError, match="该分录已冲正"):
        services.points_entry_reverse(actor=people.village_secretary, entry=entry, reason="再来")
    with pytest.raises(ValidationError, match="冲正分录不能再冲正"):
        services.points_entry_reverse(actor=people.village_secretary, entry=rev, reason="再来")
    assert PointsEntry.objects.count() == 2


def test_reversing_an_entry_of_a_closed_period_books_the_correction_today(people, tree, roll):
    entry = _award(people, roll.me, on=dt.date(2026, 9, 15))
    services.period_close(
        actor=people.county_admin, org=tree.county, kind="month", start=dt.date(2026, 9, 1)
    )
    rev = services.points_entry_reverse(actor=people.village_secretary, entry=entry, reason="误录")
    assert rev.occurred_on == TODAY
    assert period_reconcile(PointsPeriod.objects.get(state="closed")) == []


# --- periods --------------------------------------------------------------------------------


def test_closing_a_period_freezes_balances_that_reconcile_with_the_ledger(people, tree, roll):
    _award(people, roll.me, on=dt.date(2026, 9, 30))
    _award(people, roll.others[0], code="role_model", on=dt.date(2026, 8, 3), reason="抢险")
    period = services.period_close(
        actor=people.county_admin, org=tree.county, kind="quarter", start=dt.date(2026, 7, 1)
    )
    assert period.state == PointsPeriod.State.CLOSED
    assert period.end == dt.date(2026, 9, 30)
    frozen = {b.member_id: b for b in PointsBalance.objects.filter(period=period)}
    assert len(frozen) == 7  # every current member of the county
    assert frozen[roll.me.pk].balance == Decimal(90)
    assert frozen[roll.others[0].pk].balance == Decimal(105)
    assert frozen[roll.others[0].pk].rank_in_branch == 1
    assert period_reconcile(period) == []


def test_points_on_a_closed_period_are_refused_with_nothing_changed(people, tree, roll):
    services.period_close(
        actor=people.county_admin, org=tree.county, kind="month", start=dt.date(2026, 10, 1)
    )
    for day in (dt.date(2026, 10, 1), dt.date(2026, 10, 31)):
        with pytest.raises(ValidationError, match="积分周期已结账"):
            _award(people, roll.me, on=day)
    assert PointsEntry.objects.count() == 0
    # the day before and the day after the closed month are open
    assert _award(people, roll.me, on=dt.date(2026, 9, 30)).points == Decimal(-10)
    assert _award(people, roll.me, on=dt.date(2026, 11, 1)).points == Decimal(-10)


def test_a_self_report_into_a_closed_period_is_refused(people, tree, roll):
    services.period_close(
        actor=people.county_admin, org=tree.county, kind="month", start=dt.date(2026, 10, 1)
    )
    with pytest.raises(ValidationError, match="积分周期已结账"):
        services.claim_submit(
            actor=people.member, item=default_item("suggestion_adopted"),
            on=dt.date(2026, 10, 15), description="建议",
        )  # fmt: skip
    assert PointsClaim.objects.count() == 0


def test_a_period_cannot_close_before_it_ends_or_twice(people, tree, roll):
    with pytest.raises(ValidationError, match="尚未结束"):
        services.period_close(
            actor=people.county_admin, org=tree.county, kind="month", start=dt.date(2026, 11, 1)
        )
    services.period_close(
        actor=people.county_admin, org=tree.county, kind="month", start=dt.date(2026, 10, 1)
    )
    with pytest.raises(ValidationError, match="已结账"):
        services.period_close(
            actor=people.county_admin, org=tree.county, kind="month", start=dt.date(2026, 10, 1)
        )


def test_only_the_catalogue_owner_closes_periods(people, tree, roll):
    with pytest.raises(PermissionDenied):
        services.period_close(
            actor=people.township_a, org=tree.township_a, kind="month",
            start=dt.date(2026, 10, 1),
        )  # fmt: skip
    assert PointsPeriod.objects.count() == 0


def test_board_of_a_closed_period_reads_the_frozen_balances(people, tree, roll):
    entry = _award(people, roll.me, on=dt.date(2026, 10, 5))
    services.period_close(
        actor=people.county_admin, org=tree.county, kind="month", start=dt.date(2026, 10, 1)
    )
    services.points_entry_reverse(actor=people.village_secretary, entry=entry, reason="误录")
    closed = board(
        org=tree.village_a1, kind="month", start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 31)
    )
    assert closed.closed
    assert {r.member_id: r.balance for r in closed.rows}[roll.me.pk] == Decimal(90)
    live = board(
        org=tree.village_a1, kind="month", start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 30)
    )
    assert {r.member_id: r.balance for r in live.rows}[roll.me.pk] == Decimal(100)


# --- self-reports ---------------------------------------------------------------------------


def test_member_reports_with_a_photo_and_the_secretary_approves_once(people, roll):
    claim = services.claim_submit(
        actor=people.member, item=default_item("volunteer_service"), on=ON,
        description="参加村里环境整治志愿服务", evidence=_photo(),
    )  # fmt: skip
    assert claim.state == PointsClaim.State.PENDING
    assert Notification.objects.filter(
        recipient=people.village_secretary, title="陈秀英申报积分待审核"
    ).exists()
    assert claim.evidence.name.endswith(".jpg")  # re-encoded, metadata dropped
    services.claim_decide(actor=people.village_secretary, claim=claim, approve=True)
    entry = PointsEntry.objects.get()
    assert entry.points == Decimal(3)
    assert entry.origin == PointsEntry.Origin.CLAIM
    assert entry.source_id == claim.pk
    with pytest.raises(ValidationError, match="已审核"):
        services.claim_decide(actor=people.village_secretary, claim=claim, approve=True)
    assert PointsEntry.objects.count() == 1


def test_self_report_without_required_evidence_is_refused(people, roll):
    with pytest.raises(ValidationError, match="须上传佐证照片"):
        services.claim_submit(
            actor=people.member, item=default_item("volunteer_service"), on=ON,
            description="志愿服务",
        )  # fmt: skip
    assert PointsClaim.objects.count() == 0


def test_self_report_of_a_non_image_is_refused(people, roll):
    fake = SimpleUploadedFile("x.png", b"<html>not an image</html>", content_type="image/png")
    with pytest.raises(ValidationError, match="只支持"):
        services.claim_submit(
            actor=people.member, item=default_item("volunteer_service"), on=ON,
            description="志愿服务", evidence=fake,
        )  # fmt: skip
    assert PointsClaim.objects.count() == 0


def test_deduct_items_cannot_be_self_reported(people, roll):
    with pytest.raises(ValidationError, match="不接受党员自行申报"):
        services.claim_submit(
            actor=people.member, item=default_item("discipline_violation"), on=ON,
            description="……",
        )  # fmt: skip


def test_rejection_needs_a_reason_and_books_nothing(people, roll):
    claim = services.claim_submit(
        actor=people.member, item=default_item("suggestion_adopted"), on=ON,
        description="建议修建村口路灯",
    )  # fmt: skip
    with pytest.raises(ValidationError, match="请填写不通过的理由"):
        services.claim_decide(actor=people.village_secretary, claim=claim, approve=False)
    services.claim_decide(
        actor=people.village_secretary, claim=claim, approve=False, reason="建议尚未被采纳"
    )
    claim.refresh_from_db()
    assert claim.state == PointsClaim.State.REJECTED
    assert PointsEntry.objects.count() == 0


def test_township_b_cannot_decide_a_claim_in_township_a(people, roll):
    claim = services.claim_submit(
        actor=people.member, item=default_item("suggestion_adopted"), on=ON, description="建议",
    )  # fmt: skip
    with pytest.raises(Http404):
        services.claim_decide(actor=people.township_b, claim=claim, approve=True)
    claim.refresh_from_db()
    assert claim.state == PointsClaim.State.PENDING


# --- the catalogue --------------------------------------------------------------------------


def test_county_adopts_its_own_catalogue_and_it_wins_over_the_default(people, tree, roll):
    scheme = services.scheme_create(
        actor=people.county_admin, org=tree.county, year=2026, kind="base"
    )
    assert (
        scheme.items.count()
        == PointsItem.objects.filter(scheme__scope__isnull=True, scheme__year=2026).count()
    )
    services.scheme_update(actor=people.county_admin, scheme=scheme, data={"base_points": 80})
    assert passbook(member=roll.me, today=TODAY).balance == Decimal(80)


def test_township_additions_stay_within_the_county_limits(people, tree, roll):
    add = services.scheme_create(
        actor=people.township_a, org=tree.township_a, year=2026, kind="addition"
    )
    data = {
        "code": "river_patrol", "name": "参加河道巡查", "category": "service",
        "points": Decimal(2), "mode": "manual", "self_report": True,
    }  # fmt: skip
    item = services.item_create(actor=people.township_a, scheme=add, data=data)
    entry = services.points_award_manual(
        actor=people.village_secretary, member=roll.me, item=item, on=ON, reason="巡河"
    )
    assert entry.points == Decimal(2)
    with pytest.raises(ValidationError, match="单项分值不能超过5"):
        services.item_create(
            actor=people.township_a, scheme=add, data={**data, "code": "big", "points": 8}
        )
    with pytest.raises(ValidationError, match="代码与县级方案的项目重复"):
        services.item_create(
            actor=people.township_a, scheme=add, data={**data, "code": "meeting_present"}
        )
    # township B's members do not get township A's item
    with pytest.raises(ValidationError, match="不适用于该党员所在组织"):
        services.points_award_manual(
            actor=people.county_admin, member=roll.outsider, item=item, on=ON, reason="巡河"
        )


def test_township_worker_cannot_edit_the_county_catalogue(people, tree):
    scheme = PointsScheme.objects.get(scope__isnull=True, year=2026)
    with pytest.raises(PermissionDenied):
        services.scheme_update(actor=people.township_a, scheme=scheme, data={"base_points": 1})
    scheme.refresh_from_db()
    assert scheme.base_points == Decimal(100)


def test_commitment_is_set_by_the_member_and_replaced_not_duplicated(people, roll):
    services.commitment_set(actor=people.member, member=roll.me, year=2026, text="带头垃圾分类")
    services.commitment_set(actor=people.member, member=roll.me, year=2026, text="帮扶两户")
    assert passbook(member=roll.me, today=TODAY).commitment.text == "帮扶两户"
    with pytest.raises(PermissionDenied):
        services.commitment_set(actor=people.member, member=roll.others[0], year=2026, text="x")


def test_reconcile_command_reports_tampered_balances(people, tree, roll):
    from io import StringIO

    from django.core.management import CommandError, call_command

    _award(people, roll.me, on=dt.date(2026, 9, 3))
    services.period_close(
        actor=people.county_admin, org=tree.county, kind="month", start=dt.date(2026, 9, 1)
    )
    out = StringIO()
    call_command("points_reconcile", stdout=out)
    assert "一致（7 名党员）" in out.getvalue()
    PointsBalance.objects.filter(member=roll.me, period__state="closed").update(
        balance=Decimal(100)
    )
    with pytest.raises(CommandError, match="共 1 处不一致"):
        call_command("points_reconcile", stdout=StringIO())
