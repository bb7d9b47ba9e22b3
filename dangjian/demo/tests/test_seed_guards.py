"""What the demo seed refuses: a production database, a small county above county scale."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dangjian.accounts.models import User
from dangjian.orgs.models import Organization

pytestmark = pytest.mark.django_db


def test_seed_refuses_a_production_database_and_changes_nothing(settings) -> None:
    settings.PRODUCTION = True
    out = StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("seed", "--scale", "county", "--seed", "1", stdout=out)
    assert "生产环境" in str(refused.value)
    assert "DANGJIAN_ENV=production" in str(refused.value)
    assert refused.value.returncode == 1  # the command line exits 1
    assert Organization.objects.count() == 0
    assert User.objects.count() == 0
    assert out.getvalue() == ""


def test_seed_refuses_even_with_if_empty(settings) -> None:
    settings.PRODUCTION = True
    with pytest.raises(CommandError):
        call_command("seed", "--until", "members", "--if-empty", stdout=StringIO())
    assert Organization.objects.count() == 0


def test_the_small_county_is_only_a_county() -> None:
    with pytest.raises(CommandError, match="--small"):
        call_command("seed", "--scale", "city", "--small", stdout=StringIO())
    assert Organization.objects.count() == 0
