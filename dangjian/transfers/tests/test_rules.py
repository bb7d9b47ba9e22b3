"""The rule data of transfers, at its boundaries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from dangjian.transfers import rules


def test_a_letter_is_valid_three_months_by_default_with_a_source():
    r = rules.transfer_rules()
    assert r.valid_months == 3
    assert "党员教育管理工作条例" in r.source
    assert rules.valid_until_for(dt.date(2026, 1, 15)) == dt.date(2026, 4, 15)
    # Month ends clamp: 30 November + 3 months is the last day of February.
    assert rules.valid_until_for(dt.date(2026, 11, 30)) == dt.date(2027, 2, 28)


@override_settings(TRANSFER_VALID_MONTHS=2)
def test_the_validity_is_a_setting():
    assert rules.valid_until_for(dt.date(2026, 1, 15)) == dt.date(2026, 3, 15)


@pytest.mark.parametrize(
    ("day", "valid"),
    [(dt.date(2026, 4, 14), True), (dt.date(2026, 4, 15), True), (dt.date(2026, 4, 16), False)],
)
def test_letter_validity_includes_its_last_day(day, valid):
    assert rules.is_letter_valid(dt.date(2026, 4, 15), day) is valid


def test_no_validity_date_means_not_valid():
    assert rules.is_letter_valid(None, dt.date(2026, 1, 1)) is False


@pytest.mark.parametrize(
    ("text", "month"),
    [
        ("2026-10", dt.date(2026, 10, 1)),
        ("2026-1", dt.date(2026, 1, 1)),
        ("2026/03", dt.date(2026, 3, 1)),
        ("2026年10月", dt.date(2026, 10, 1)),
        ("2026年9月", dt.date(2026, 9, 1)),
        ("2026-10-15", dt.date(2026, 10, 1)),
        (dt.date(2026, 10, 15), dt.date(2026, 10, 1)),
    ],
)
def test_dues_month_forms(text, month):
    assert rules.parse_month(text) == month


@pytest.mark.parametrize("text", ["", "十月", "2026-13", "2026-00", "26-10", "2026-10-01x"])
def test_bad_dues_months_are_refused_in_chinese(text):
    with pytest.raises(ValidationError) as exc:
        rules.parse_month(text)
    assert "dues_paid_through" in exc.value.message_dict


@pytest.mark.parametrize(
    ("month", "ok"),
    [(dt.date(2027, 11, 1), True), (dt.date(2027, 12, 1), False), (dt.date(2005, 6, 1), False)],
)
def test_dues_month_bounds(month, ok):
    today, joined = dt.date(2026, 11, 21), dt.date(2005, 7, 1)
    if ok:
        rules.check_dues_month(month, today=today, joined_on=joined)
    else:
        with pytest.raises(ValidationError):
            rules.check_dues_month(month, today=today, joined_on=joined)
    rules.check_dues_month(dt.date(2005, 7, 1), today=today, joined_on=joined)  # the join month


def test_validity_override_bounds():
    issued = dt.date(2026, 1, 15)
    rules.check_valid_until(issued, issued)
    rules.check_valid_until(issued, dt.date(2026, 7, 15))
    with pytest.raises(ValidationError):
        rules.check_valid_until(issued, dt.date(2026, 7, 16))
    with pytest.raises(ValidationError):
        rules.check_valid_until(issued, dt.date(2026, 1, 14))


def test_labels_and_numbers():
    assert rules.month_label(dt.date(2026, 10, 1)) == "2026年10月"
    assert rules.date_label(dt.date(2026, 1, 5)) == "2026年1月5日"
    assert rules.letter_number(2026, 123) == "QC-2026-000123"
