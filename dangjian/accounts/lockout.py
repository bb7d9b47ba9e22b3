"""The password-change form shares the login's lockout: django-axes, counted per account name.

A wrong current password on the form is a failed login for that account. Without this, a
stolen or unattended session could guess the password without limit and then change it.
"""

from __future__ import annotations

from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_failure_limit
from axes.utils import reset
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest


def _credentials(user: Any) -> dict[str, str]:
    return {"username": user.get_username()}


def password_locked(request: HttpRequest, user: Any) -> bool:
    """True while the account is locked (by failed logins or failed password changes)."""
    return not AxesProxyHandler.is_allowed(request, _credentials(user))


def password_failure(request: HttpRequest, user: Any) -> int:
    """Count one wrong current password against the account; the attempts left (0: locked now).

    axes marks the request locked at the limit, so its middleware answers with the same
    lockout page as the login's.
    """
    credentials = _credentials(user)
    user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    limit = get_failure_limit(request, credentials)
    return max(0, limit - AxesProxyHandler.get_failures(request, credentials))


def password_failures_clear(user: Any) -> None:
    """A right current password clears the count, as a successful login does."""
    if settings.AXES_RESET_ON_SUCCESS:
        reset(username=user.get_username())


def lockout_minutes() -> int:
    return round(float(settings.AXES_COOLOFF_TIME) * 60)
