"""Masks shown in place of personal data."""

from __future__ import annotations

import pytest

from dangjian.core.crypto import mask, mask_name, mask_phone


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("", ""),
        ("王", "*"),
        ("王芳", "王*"),
        ("张卫东", "张**"),
        ("欧阳建国", "欧阳**"),
        (" 李四 ", "李*"),
    ],
)
def test_names_keep_only_the_surname(name: str, masked: str) -> None:
    assert mask_name(name) == masked


def test_short_values_are_all_stars() -> None:
    assert mask("1234", keep_start=3, keep_end=4) == "****"
    assert mask("13912345678", keep_start=3, keep_end=4) == "139****5678"


@pytest.mark.parametrize(
    ("number", "shown"),
    [
        ("13812345678", "138****5678"),
        ("010-12345678", "010*******78"),
        ("03166123456", "031******56"),
        ("12345", "*****"),
        ("", ""),
    ],
)
def test_mask_phone_mobile_and_fixed_line(number, shown):
    assert mask_phone(number) == shown
