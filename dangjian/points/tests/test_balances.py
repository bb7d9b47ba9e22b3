"""Materialised balances: kept current by every booking, frozen at a close, equal to the ledger.

The ledger stays the source of truth: after every scenario the open rows reconcile with it
(``open_balance_drift`` is empty) and boards read the same numbers a live sum would give.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from dangjian.points import services
from dangjian.points.models import PointsBalance, PointsPeriod
from dangjian.points.selectors import (
    board,
    ledger_sums,
    open_balance_drift,
    passbook,
    period_reconcile,
)
from dangjian.points.services import points_award_auto
from dangjian.points.tests.factories import (
    TODAY,
    default_item,
    default_scheme,
    make_attendance,
    png_bytes,
    roll,
)

__all__ = ["roll"]

pytestmark = pytest.mark.django_db

ON = dt.date(2026, 11, 10)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)


def _rows(member) -> dict[tuple[str, dt.date], tuple[Decimal, Decimal]]:
    """{(kind, start): (earned, balance)} of the member's balance rows."""
    return {
        (b.period.kind, b.period.start): (b.earned, b.balance)
        for b in PointsBalance.objects.filter(member=member).select_related("period")
    }


def _no_drift() -> None:
    drift = open_balance_drift(default_scheme())[0]
    assert (drift.missing, drift.extra, drift.wrong) == ([], [], [])


def _award(people, member, code="discipline_violation", on=ON, reason="不参加村里集体劳动"):
    return services.points_award_manual(
        actor=people.county_admin, member=member, item=default_item(code), on=on,
        reason=reason,
    )  # fmt: skip


def test_an_automatic_award_updates_its_month_quarter_year_and_the_later_months(people, tree, roll):
    src = make_attendance(people.village_secretary, tree.village_a1, roll.me)
    points_award_auto(member=roll.me, rule_code="meeting_present", source=src, on=ON)
    assert PointsPeriod.objects.filter(scheme=default_scheme()).count() == 17  # opened at once
    assert _rows(roll.me) == {
        ("month", dt.date(2026, 11, 1)): (Decimal(2), Decimal(102)),
        ("month", dt.date(2026, 12, 1)): (Decimal(0), Decimal(102)),
        ("quarter", dt.date(2026, 10, 1)): (Decimal(2), Decimal(102)),
        ("year", dt.date(2026, 1, 1)): (Decimal(2), Decimal(102)),
    }
    # A repeat for the same source books nothing and leaves the balances alone.
    points_award_auto(member=roll.me, rule_code="meeting_present", source=src, on=ON)
    assert _rows(roll.me)[("year", dt.date(2026, 1, 1))] == (Decimal(2), Decimal(102))
    _no_drift()


def test_a_backdated_deduction_fills_the_earlier_periods_from_the_ledger(people, roll):
    _award(people, roll.me, on=ON)  # −10 in November
    _award(people, roll.me, code="role_model", on=dt.date(2026, 9, 3), reason="抢险")  # +5
    rows = _rows(roll.me)
    assert rows[("month", dt.date(2026, 9, 1))] == (Decimal(5), Decimal(105))
    assert rows[("month", dt.date(2026, 10, 1))] == (Decimal(0), Decimal(105))
    assert rows[("month", dt.date(2026, 11, 1))] == (Decimal(-10), Decimal(95))
    assert rows[("quarter", dt.date(2026, 7, 1))] == (Decimal(5), Decimal(105))
    assert rows[("quarter", dt.date(2026, 10, 1))] == (Decimal(-10), Decimal(95))
    assert rows[("year", dt.date(2026, 1, 1))] == (Decimal(-5), Decimal(95))
    assert ("month", dt.date(2026, 8, 1)) not in rows  # before the first entry: base, no row
    _no_drift()


def test_an_approved_self_report_updates_the_balance_a_rejected_one_does_not(people, roll):
    def report(text):
        return services.claim_submit(
            actor=people.member, item=default_item("volunteer_service"), on=ON,
            description=text, evidence=SimpleUploadedFile("p.png", png_bytes(), "image/png"),
        )  # fmt: skip

    services.claim_decide(
        actor=people.village_secretary, claim=report("环境整治"), approve=False, reason="无照片"
    )
    assert _rows(roll.me) == {}
    services.claim_decide(actor=people.village_secretary, claim=report("义务巡逻"), approve=True)
    assert _rows(roll.me)[("year", dt.date(2026, 1, 1))] == (Decimal(3), Decimal(103))
    assert passbook(member=roll.me, today=TODAY).balance == Decimal(103)
    _no_drift()


def test_a_reversal_takes_the_points_back_out_of_the_balances(people, roll):
    entry = _award(people, roll.me)
    services.points_entry_reverse(actor=people.village_secretary, entry=entry, reason="误录")
    rows = _rows(roll.me)
    assert rows[("month", dt.date(2026, 11, 1))] == (Decimal(0), Decimal(100))
    assert rows[("year", dt.date(2026, 1, 1))] == (Decimal(0), Decimal(100))
    _no_drift()


def test_a_closed_period_is_frozen_and_later_corrections_land_in_the_open_ones(people, tree, roll):
    entry = _award(people, roll.me, on=dt.date(2026, 9, 15))
    period = services.period_close(
        actor=people.county_admin, org=tree.county, kind="month", start=dt.date(2026, 9, 1)
    )
    frozen = {b.member_id: b for b in PointsBalance.objects.filter(period=period)}
    assert len(frozen) == 7  # every current member, ranked in the branch
    assert (frozen[roll.me.pk].balance, frozen[roll.me.pk].rank_in_branch) == (Decimal(90), 6)
    assert frozen[roll.others[0].pk].rank_in_branch == 1
    services.points_entry_reverse(actor=people.village_secretary, entry=entry, reason="误录")
    services.points_award_manual(
        actor=people.village_secretary, member=roll.me, item=default_item("role_model"),
        on=ON, reason="抢险",
    )  # fmt: skip
    assert PointsBalance.objects.get(period=period, member=roll.me).balance == Decimal(90)
    assert period_reconcile(period) == []
    rows = _rows(roll.me)
    assert rows[("month", dt.date(2026, 11, 1))] == (Decimal(15), Decimal(105))  # +10 +5 today
    assert rows[("quarter", dt.date(2026, 7, 1))] == (Decimal(-10), Decimal(90))  # open quarter
    _no_drift()


def test_reconcile_reports_drift_zero_then_finds_and_fixes_a_tampered_row(people, tree, roll):
    src = make_attendance(people.village_secretary, tree.village_a1, roll.me)
    points_award_auto(member=roll.me, rule_code="meeting_present", source=src, on=ON)
    _award(people, roll.others[0], on=dt.date(2026, 3, 2))
    out = StringIO()
    call_command("points_reconcile", stdout=out)
    assert "偏差 0" in out.getvalue()
    PointsBalance.objects.filter(member=roll.me, period__kind="year").update(balance=Decimal(1))
    PointsBalance.objects.filter(member=roll.others[0], period__kind="month").first().delete()
    with pytest.raises(CommandError, match="共 2 处不一致"):
        call_command("points_reconcile", stdout=StringIO())
    out = StringIO()
    call_command("points_reconcile", "--fix", stdout=out)
    assert "已重建 2 行" in out.getvalue()
    call_command("points_reconcile", stdout=StringIO())  # no error: drift 0
    _no_drift()


def _live(org, start, end):
    """The board the old way: base + a live sum over the ledger."""
    sums = ledger_sums(org=org, year_start=dt.date(start.year, 1, 1), start=start, end=end)
    return {m: (e, Decimal(100) + y) for m, (e, y) in sums.items()}


def test_boards_read_the_same_numbers_as_a_live_sum_over_the_ledger(people, tree, roll):
    _award(people, roll.others[0], on=dt.date(2026, 2, 2))
    _award(people, roll.others[1], code="role_model", on=ON, reason="抢险")
    _award(people, roll.others[1], code="role_model", on=dt.date(2026, 7, 7), reason="救灾")
    _award(people, roll.outsider, on=ON)
    for kind, start, end in (
        ("quarter", dt.date(2026, 10, 1), dt.date(2026, 12, 31)),
        ("month", dt.date(2026, 7, 1), dt.date(2026, 7, 31)),
        ("year", dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
    ):
        b = board(org=tree.county, kind=kind, start=start, end=end)
        live = _live(tree.county, start, end)
        assert b.total == 7
        for r in b.rows:
            assert (r.earned, r.balance) == live.get(r.member_id, (Decimal(0), Decimal(100)))
    b = board(org=tree.county, kind="year", start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31))
    assert [(r.name, r.balance, r.rank) for r in b.rows[:3]] == [
        ("李桂兰", Decimal(110), 1),
        ("刘玉梅", Decimal(100), 2),  # ties share a rank, by name (code point) within it
        ("张振华", Decimal(100), 2),
    ]
    assert [r.balance for r in b.rows[-2:]] == [Decimal(90), Decimal(90)]


def test_board_flags_members_below_the_line_lowest_first(people, tree, roll):
    for _ in range(5):
        _award(people, roll.others[2])  # 50
    for _ in range(4):
        _award(people, roll.others[3])  # 60: on the line, not below
    b = board(org=tree.village_a1, kind="quarter", start=dt.date(2026, 10, 1),
              end=dt.date(2026, 12, 31))  # fmt: skip
    assert [(r.member_id, r.balance) for r in b.below] == [(roll.others[2].pk, Decimal(50))]
    assert {r.member_id: r.below for r in b.rows}[roll.others[3].pk] is False
    assert b.rows[-1].rank == 6


@pytest.mark.parametrize("shown", [2, 3])  # the cut above the base (balance rows) and at it
def test_a_long_board_shows_at_its_top_what_ranking_everyone_would(
    people, tree, roll, monkeypatch, shown
):
    """A long board reads its top rows from the balance rows when they are all above the base
    (members without a row sit at the base); either way the rows are those a full ranking of
    every current member gives (balance descending, ties by id)."""
    monkeypatch.setattr("dangjian.points.selectors.BOARD_MAX_ROWS", shown)
    for member, times in ((roll.others[1], 2), (roll.others[4], 1)):
        for _ in range(times):
            _award(people, member, code="role_model", reason="抢险")
    _award(people, roll.others[2])  # under the base
    quarter = {"kind": "quarter", "start": dt.date(2026, 10, 1), "end": dt.date(2026, 12, 31)}
    b = board(org=tree.village_a1, **quarter)
    period = PointsPeriod.objects.get(
        scheme=default_scheme(), kind="quarter", start=quarter["start"]
    )
    rows = dict(PointsBalance.objects.filter(period=period).values_list("member_id", "balance"))
    ranking = sorted(roll.branch, key=lambda m: (-rows.get(m.pk, Decimal(100)), m.pk))
    assert b.total == len(roll.branch)
    assert {r.member_id for r in b.rows} == {m.pk for m in ranking[:shown]}
    assert [r.rank for r in b.rows] == list(range(1, shown + 1))


def test_a_long_board_lists_under_the_line_what_ranking_everyone_would(
    people, tree, roll, monkeypatch
):
    """Past the displayed rows the low end is read from the balance rows under the line; it
    must list the members a full ranking puts there (equal balances by name descending), and
    leave out former members and other branches."""
    from dangjian.members.models import Member

    monkeypatch.setattr("dangjian.points.selectors.BOARD_MAX_ROWS", 2)
    for member, times in ((roll.others[2], 5), (roll.others[1], 5), (roll.others[3], 4)):
        for _ in range(times):
            _award(people, member)  # 50, 50, 60 (on the line: not under it)
    for member in (roll.others[0], roll.outsider):
        for _ in range(6):
            _award(people, member)  # 40
    Member.objects.filter(pk=roll.others[0].pk).update(status=Member.Status.FORMER)
    quarter = {"kind": "quarter", "start": dt.date(2026, 10, 1), "end": dt.date(2026, 12, 31)}
    b = board(org=tree.village_a1, **quarter)
    assert (b.total, len(b.rows)) == (5, 2)
    low = [m.pk for m in sorted([roll.others[1], roll.others[2]], key=lambda m: m.name)][::-1]
    assert [(r.member_id, r.balance) for r in b.below] == [(pk, Decimal(50)) for pk in low]
    county = board(org=tree.county, **quarter)
    assert [r.member_id for r in county.below] == [roll.outsider.pk, *low]


def test_a_board_under_the_minimum_lists_scores_without_ranks(people, tree, roll):
    _award(people, roll.outsider)
    b = board(org=tree.village_b1, kind="quarter", start=dt.date(2026, 10, 1),
              end=dt.date(2026, 12, 31))  # fmt: skip
    assert (b.total, b.ranked) == (1, False)
    assert [(r.balance, r.rank) for r in b.rows] == [(Decimal(90), None)]


def test_a_closed_board_reads_the_frozen_balances(people, tree, roll):
    _award(people, roll.me, on=dt.date(2026, 8, 3))
    services.period_close(
        actor=people.county_admin, org=tree.county, kind="quarter", start=dt.date(2026, 7, 1)
    )
    PointsBalance.objects.filter(period__state="closed", member=roll.me).update(balance=77)
    b = board(org=tree.county, kind="quarter", start=dt.date(2026, 7, 1),
              end=dt.date(2026, 9, 30))  # fmt: skip
    assert b.closed
    assert {r.member_id: r.balance for r in b.rows}[roll.me.pk] == Decimal(77)


# --- query counts -----------------------------------------------------------------------------


def _grow(people, tree, roll, n=12):
    from dangjian.members.tests.factories import make_member

    for i in range(n):
        m = make_member(people.county_admin, tree.village_a1, name=f"新党员{i}")
        _award(people, m, on=dt.date(2026, 10, 1 + i))


# Measured: board 13 (11 + the places of its page's rows), print 9, working page 17 (with the
# capped count of self-reports and the board's member count), passbook 13, a member's
# passbook 14 — whatever the number of members and entries (the second round below has 12 more
# of each).
PAGES = {
    # 11 for the board, 2 for the places of the page's rows (镇 › 村党支部 on each card).
    "board": ("/points/board/?org={county}&period=2026-Q4", 13),
    "print": ("/points/board/print/?org={county}&period=2026-Q3", 9),
    "home": ("/points/?org={branch}", 17),
    "member": ("/points/member/{me}/", 14),
}


@pytest.mark.parametrize("page", sorted(PAGES))
def test_board_and_passbook_pages_run_a_fixed_number_of_queries(
    page, login, people, tree, roll, django_assert_max_num_queries
):
    url, limit = PAGES[page]
    url = url.format(county=tree.county.pk, branch=tree.village_a1.pk, me=roll.me.pk)
    for m in roll.branch:
        _award(people, m)
    c = login(people.county_admin)
    with django_assert_max_num_queries(limit):
        assert c.get(url).status_code == 200
    _grow(people, tree, roll)
    for day in range(2, 14):
        _award(people, roll.me, on=dt.date(2026, 11, day))
    with django_assert_max_num_queries(limit):
        r = c.get(url)
    if page == "board":
        assert r.content.decode().count('data-testid="board-balance"') == 19


def test_own_passbook_runs_a_fixed_number_of_queries(
    login, people, tree, roll, django_assert_max_num_queries
):
    for day in range(1, 6):
        _award(people, roll.me, on=dt.date(2026, 11, day))
    c = login(people.member)
    with django_assert_max_num_queries(13):
        assert c.get("/points/mine/").status_code == 200
    _grow(people, tree, roll)
    for day in range(6, 20):
        _award(people, roll.me, on=dt.date(2026, 11, day))
    with django_assert_max_num_queries(13):
        r = c.get("/points/mine/")
    assert (
        'data-testid="passbook-rank">18<span class="h4 text-secondary">/18<' in r.content.decode()
    )


def test_bench_command_prints_ratios_without_writing(people, tree, roll):
    for m in roll.branch:
        _award(people, m)
    out = StringIO()
    call_command("bench_points", "--no-write", "--runs", "1", "--writes", "3", stdout=out)
    text = out.getvalue()
    assert "(d) 全县榜 本季度" in text
    assert "×" in text
    assert "RESULTS.md" not in text
