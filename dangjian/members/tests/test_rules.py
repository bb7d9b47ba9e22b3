"""公民身份号码 per GB 11643, and the other record rules, at their boundaries."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.core import crypto
from dangjian.members.rules import (
    AGE_BANDS,
    age_on,
    band_of,
    check_id_number,
    check_mobile,
    id_check_digit,
    mask_id,
)

TODAY = dt.date(2026, 11, 21)


@pytest.mark.parametrize(
    ("number", "birth", "sex"),
    [
        ("11010519491231002X", dt.date(1949, 12, 31), "female"),  # the GB 11643 example, X check
        ("110105194912310029"[:17] + "X", dt.date(1949, 12, 31), "female"),
        ("440524188001010014", dt.date(1880, 1, 1), None),  # before 1900: refused below
    ],
)
def test_known_numbers(number, birth, sex):
    result = check_id_number(number, today=TODAY)
    if birth.year < 1900:
        assert not result.valid
    else:
        assert result.valid
        assert result.birth_date == birth
        assert result.sex == sex


def test_lowercase_x_and_spaces_are_normalised():
    assert check_id_number(" 11010519491231002x ", today=TODAY).valid


def test_check_digit_computation_matches_the_standard():
    assert id_check_digit("11010519491231002") == "X"
    # 1·7+3·9+0+1·5+0+2·4+1·2+9·1+8·6+0+0+1·9+0+1·5+0+0+1·2 = 122; 122 mod 11 = 1 → "0"
    assert id_check_digit("13010219800101001") == "0"


@pytest.mark.parametrize(
    ("number", "fragment"),
    [
        ("", "请填写"),
        ("1101051949123100", "应为 18 位"),
        ("1101051949123100211", "应为 18 位"),
        ("11010519491231002Y", "最后一位为数字或 X"),
        ("1101051949123A002X", "前 17 位应为数字"),
        ("110105194902300025", "不存在"),  # 30 February
        ("110105203001010010", "不合理"),  # born in the future
        ("110105194912310021", "校验位不正确"),
    ],
)
def test_each_kind_of_invalid_number(number, fragment):
    result = check_id_number(number, today=TODAY)
    assert not result.valid
    assert fragment in result.message


def test_birth_date_boundary_today_is_allowed_tomorrow_is_not():
    first = "110105" + TODAY.strftime("%Y%m%d") + "001"
    assert check_id_number(first + id_check_digit(first), today=TODAY).valid
    tomorrow = TODAY + dt.timedelta(days=1)
    first = "110105" + tomorrow.strftime("%Y%m%d") + "001"
    assert not check_id_number(first + id_check_digit(first), today=TODAY).valid


def test_sex_from_the_seventeenth_digit():
    male = "11010519800101001"
    female = "11010519800101002"
    assert check_id_number(male + id_check_digit(male), today=TODAY).sex == "male"
    assert check_id_number(female + id_check_digit(female), today=TODAY).sex == "female"


def test_masks():
    assert mask_id("11010519491231002X") == "110105************"
    assert crypto.mask_phone("13812345678") == "138****5678"


@pytest.mark.parametrize(
    ("mobile", "ok"),
    [("13812345678", True), ("12812345678", False), ("1381234567", False), ("", True)],
)
def test_mobile_numbers(mobile, ok):
    assert (check_mobile(mobile) is None) is ok


@pytest.mark.parametrize(
    ("age", "band"), [(30, "30岁及以下"), (31, "31-35岁"), (70, "66-70岁"), (71, "71岁及以上")]
)
def test_age_band_boundaries(age, band):
    assert band_of(age, AGE_BANDS) == band


def test_age_turns_on_the_birthday():
    birth = dt.date(1996, 11, 21)
    assert age_on(birth, dt.date(2026, 11, 20)) == 29
    assert age_on(birth, dt.date(2026, 11, 21)) == 30
