"""Login through the real backend chain: axes first, then username-or-mobile."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import check_password, identify_hasher, make_password
from django.test import RequestFactory

from conftest import PASSWORD
from dangjian.accounts.backends import UsernameOrMobileBackend
from dangjian.accounts.models import User


@pytest.fixture
def rf_request():  # type: ignore[no-untyped-def]
    return RequestFactory().post("/accounts/login/", REMOTE_ADDR="10.0.0.8")


def login(rf_request, username: str, password: str = PASSWORD) -> User | None:  # type: ignore[no-untyped-def]
    return authenticate(rf_request, username=username, password=password)


def test_login_by_username(people, rf_request) -> None:
    assert login(rf_request, "township_a") == people.township_a


def test_login_by_username_ignores_surrounding_spaces(people, rf_request) -> None:
    assert login(rf_request, "  township_a ") == people.township_a


def test_login_by_mobile(people, rf_request) -> None:
    user = login(rf_request, "13800000001")
    assert user == people.township_a
    assert user.backend == "dangjian.accounts.backends.UsernameOrMobileBackend"


def test_an_unknown_mobile_is_refused(people, rf_request) -> None:
    assert login(rf_request, "13800000009") is None


def test_a_wrong_password_is_refused(people, rf_request) -> None:
    assert login(rf_request, "township_a", "wrong-password") is None
    assert login(rf_request, "13800000001", "wrong-password") is None


def test_an_unknown_user_is_refused(people, rf_request) -> None:
    assert login(rf_request, "ghost") is None


def test_empty_credentials_are_refused(people, rf_request) -> None:
    backend = UsernameOrMobileBackend()
    assert backend.authenticate(rf_request, username="", password=PASSWORD) is None
    assert backend.authenticate(rf_request, username="township_a", password="") is None
    assert backend.authenticate(rf_request, username=None, password=None) is None


def test_an_inactive_user_is_refused(people, rf_request) -> None:
    people.township_a.is_active = False
    people.township_a.save()
    assert login(rf_request, "township_a") is None
    assert login(rf_request, "13800000001") is None


def test_lockout_after_the_failure_limit(people, rf_request) -> None:
    limit = settings.AXES_FAILURE_LIMIT
    assert limit == 5
    for _ in range(limit - 1):
        assert login(rf_request, "township_a", "wrong") is None
    # One short of the limit (the day before): the right password still works.
    assert AccessAttempt.objects.get(username="township_a").failures_since_start == limit - 1
    assert login(rf_request, "township_a") == people.township_a
    # authenticate() alone does not reset the count (AXES_RESET_ON_SUCCESS acts on login()).
    assert AccessAttempt.objects.get(username="township_a").failures_since_start == limit - 1

    assert login(rf_request, "township_a", "wrong") is None  # the limit-th failure
    assert AccessAttempt.objects.get(username="township_a").failures_since_start == limit
    # Locked out (the day of and after): even the right password fails.
    assert login(rf_request, "township_a") is None
    assert login(rf_request, "township_a") is None
    # The lockout is per account name, not per address: a colleague behind the same NAT logs in.
    assert login(rf_request, "township_b") == people.township_b

    assert reset(username="township_a") == 1
    assert login(rf_request, "township_a") == people.township_a


def test_failures_of_one_account_do_not_lock_another(people, rf_request) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(rf_request, "township_b", "wrong")
    assert login(rf_request, "township_a") == people.township_a
    assert login(rf_request, "township_b") is None


def test_authenticate_without_a_request_is_refused_by_axes(people) -> None:
    # AxesStandaloneBackend needs the request to count failures; without it, it refuses loudly.
    from axes.exceptions import AxesBackendRequestParameterRequired

    with pytest.raises(AxesBackendRequestParameterRequired):
        authenticate(None, username="township_a", password=PASSWORD)


def test_role_grants_give_django_permissions_through_the_backend(people) -> None:
    assert people.county_admin.has_perm("core.change_calendarday") is True
    assert "core.change_calendarday" in people.county_admin.get_all_permissions()
    assert people.township_a.has_perm("core.change_calendarday") is False
    # Object-level checks do not inherit the role's global permissions.
    backend = UsernameOrMobileBackend()
    assert "core.change_calendarday" not in backend.get_all_permissions(
        people.county_admin, obj=object()
    )


def test_production_hashes_passwords_with_argon2(settings) -> None:
    from config.settings_test import PRODUCTION_HASHERS

    assert PRODUCTION_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    settings.PASSWORD_HASHERS = PRODUCTION_HASHERS
    encoded = make_password("pw-Test-2026")
    assert encoded.startswith("argon2$argon2id$")
    assert identify_hasher(encoded).algorithm == "argon2"
    assert check_password("pw-Test-2026", encoded) is True
    assert check_password("pw-Test-2027", encoded) is False


def test_failures_by_mobile_count_against_the_same_account(people, rf_request) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(rf_request, "township_a", "wrong")
    assert login(rf_request, "13800000001") is None
