"""Masks shown in place of personal data."""

from __future__ import annotations

import pytest

from dangjian.core.crypto import mask, mask_name


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
