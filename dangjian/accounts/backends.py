from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from dangjian.accounts.models import User


class UsernameOrMobileBackend(ModelBackend):
    """Log in with the username or the 11-digit mobile number; role grants give system perms."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if not username or not password:
            return None
        login = username.strip()
        field = "mobile" if login.isdigit() and len(login) == 11 else "username"
        user = User.objects.filter(**{field: login}).first()
        if user is None:
            User().set_password(password)  # same cost as a real check: no timing oracle
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        perms = set(super().get_all_permissions(user_obj, obj))
        if user_obj.is_active and not user_obj.is_anonymous and obj is None:
            from dangjian.accounts.grants import viewer_django_perms

            perms |= viewer_django_perms(user_obj)
        return perms


def axes_username(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str:
    """The account a login attempt is against, for lockout: a mobile number counts as its user.

    Without this, typing the mobile number would give an attacker a second set of attempts.
    """
    login = ""
    if credentials:
        login = str(credentials.get("username") or "")
    elif request is not None:
        login = str(request.POST.get("username", ""))
    login = login.strip()
    if login.isdigit() and len(login) == 11:
        username = User.objects.filter(mobile=login).values_list("username", flat=True).first()
        if username:
            return username
    return login
