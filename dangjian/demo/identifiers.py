"""Invented but well-formed identifiers: 统一社会信用代码 and telephone numbers.

Credit codes follow GB 32100-2015 (registration authority, unit category, 6-digit region, a
GB 11714 organization code with its own check digit, then the overall check character); they
are computed with the alphabet and weights of ``dangjian.orgs.services`` so the platform's
validator accepts every one.
"""

from __future__ import annotations

import random

from dangjian.orgs.services import USCC_ALPHABET, USCC_WEIGHTS

# (registration authority, unit category) of GB 32100 for the units a party branch sits in.
ORGAN = "11"  # 机构编制 · 机关
INSTITUTION = "12"  # 机构编制 · 事业单位
ENTERPRISE = "91"  # 市场监管 · 企业
SOCIAL_GROUP = "51"  # 民政 · 社会团体
PRIVATE_NON_ENTERPRISE = "52"  # 民政 · 民办非企业单位

_GB11714_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def organization_code(rng: random.Random) -> str:
    """A 9-character GB 11714 organization code: 8 digits and its check character."""
    body = "".join(rng.choice("0123456789") for _ in range(8))
    total = sum(int(c) * w for c, w in zip(body, _GB11714_WEIGHTS, strict=True))
    check = 11 - total % 11
    return body + ("X" if check == 10 else "0" if check == 11 else str(check))


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def credit_code(rng: random.Random, category: str, region: str) -> str:
    """A 统一社会信用代码 for a unit of ``category`` registered in ``region`` (6 digits)."""
    first17 = category + region + organization_code(rng)
    return first17 + uscc_check_char(first17)


def area_code(rng: random.Random) -> str:
    """A plausible county telephone area code such as 0839."""
    return "0" + str(rng.randint(3, 9)) + "".join(rng.choice("0123456789") for _ in range(2))


def landline(rng: random.Random, area: str) -> str:
    return f"{area}-{rng.randint(2, 8)}{rng.randint(0, 999999):06d}"


def mobile(rng: random.Random) -> str:
    prefix = rng.choice(("133", "135", "136", "137", "138", "139", "150", "151", "158", "187"))
    return f"{prefix}{rng.randint(0, 99999999):08d}"
