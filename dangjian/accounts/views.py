"""Login, logout, the working organization, password and API tokens."""

from __future__ import annotations

import logging
from typing import Any, cast

from axes.helpers import get_lockout_response
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from dangjian.accounts import services
from dangjian.accounts.access import access_grant_by_id, access_token_by_id, tokens_of
from dangjian.accounts.forms import GrantForm, LoginForm, StyledPasswordChangeForm, TokenForm
from dangjian.accounts.grants import access_org_for_grants, scope_roots
from dangjian.accounts.lockout import (
    lockout_minutes,
    password_failure,
    password_failures_clear,
    password_locked,
)
from dangjian.accounts.models import ApiToken, User
from dangjian.accounts.roles import Role
from dangjian.accounts.selectors import grants_managed_by
from dangjian.core.forms import add_validation_error

log = logging.getLogger(__name__)


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change one's own password: the current one is checked under the login's lockout, and a
    change revokes all the user's API tokens and ends their other sessions."""

    template_name = "accounts/password_change.html"
    form_class = StyledPasswordChangeForm
    success_url = reverse_lazy("home")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if password_locked(request, request.user):
            # Not even checked: a locked account's password cannot be guessed here either.
            log.warning("password change refused: account %s is locked", request.user.pk)
            context = self.get_context_data(
                form=self.form_class(user=request.user),
                locked_message=(
                    "当前密码连续输错次数过多，账号已暂时锁定，现在不能修改密码。"
                    f"请 {lockout_minutes()} 分钟后再试；如需立即解锁，请联系本级组织部门管理员。"
                ),
            )
            return self.render_to_response(context, status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):  # type: ignore[no-untyped-def]
        if form.has_error("old_password", "password_incorrect"):
            user = self.request.user
            left = password_failure(self.request, user)
            if left == 0:
                # Locked like a failed login: this session ends too, and axes answers with
                # the lockout page.
                log.warning("password change: account %s locked after wrong passwords", user.pk)
                logout(self.request)
                return get_lockout_response(self.request, None, {"username": user.get_username()})
            form.errors["old_password"] = form.error_class(
                [f"当前密码不正确。再输错 {left} 次，账号将被锁定 {lockout_minutes()} 分钟。"]
            )
        return super().form_invalid(form)

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        user = form.user
        try:
            revoked = services.password_change(
                actor=user, user=user, new_password=form.cleaned_data["new_password1"]
            )
        except ValidationError as exc:
            add_validation_error(form, exc)
            return self.form_invalid(form)
        update_session_auth_hash(self.request, user)
        password_failures_clear(user)
        note = f"；您的 {revoked} 个 API 令牌已随之吊销，如仍需要请重新创建" if revoked else ""
        messages.success(self.request, "密码已修改" + note)
        return HttpResponseRedirect(self.get_success_url())


@login_required
@require_POST
def workspace_switch(request: HttpRequest) -> HttpResponse:
    try:
        services.working_grant_choose(
            viewer=request.user, session=request.session, grant_id=int(request.POST["grant_id"])
        )
    except (KeyError, ValueError, ValidationError):
        messages.error(request, "只能切换到您自己的有效授权")
    nxt = request.POST.get("next") or request.headers.get("Referer") or "/"
    if not url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        nxt = "/"
    return redirect(nxt)


@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        try:
            _, new_key = services.token_create(
                actor=request.user,
                user=cast(User, request.user),
                name=form.cleaned_data["name"],
                days=form.cleaned_data["days"],
                origin=ApiToken.Origin.SESSION,
            )
        except ValidationError as exc:
            add_validation_error(form, exc)
        else:
            form = TokenForm()
    return TemplateResponse(
        request,
        "accounts/token_list.html",
        {
            "tokens": tokens_of(request.user)[:100],
            "form": form,
            "new_key": new_key,
            "nav_active": "tokens",
            "now": timezone.now(),
        },
    )


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = access_token_by_id(request.user, token_id)
    services.token_revoke(actor=request.user, token=token)
    messages.success(request, f"令牌 {token.prefix}… 已吊销")
    return redirect("accounts:tokens")


@login_required
def people(request: HttpRequest) -> HttpResponse:
    """用户与授权: the grants in the viewer's scope, and a form to give a role."""
    viewer = request.user
    if not scope_roots(viewer, action="grant.manage"):
        raise PermissionDenied("您没有分配角色的权限")
    role = request.GET.get("role", "")
    if role not in Role.values:
        role = ""
    q = request.GET.get("q", "").strip()[:50]
    form = GrantForm(
        request.POST or None,
        roles=list(Role.choices),
        initial={"valid_from": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            org = access_org_for_grants(viewer, data["org"])
            grant = services.grant_give(
                actor=viewer,
                login=data["login"],
                name=data["name"],
                password=data["password"],
                org=org,
                role=data["role"],
                valid_from=data["valid_from"],
                valid_to=data["valid_to"],
            )
        except ValidationError as exc:
            for msg in exc.messages:
                form.add_error(None, msg)
        else:
            messages.success(
                request,
                f"已授予 {grant.user.display_name} 在“{org.display_name}”的{grant.get_role_display()}角色",
            )
            return redirect("accounts:people")
    today = timezone.localdate()
    grants = grants_managed_by(viewer=viewer, role=role, q=q)
    return TemplateResponse(
        request,
        "accounts/people.html",
        {
            "nav_active": "people",
            "grants": grants,
            "form": form,
            "roles": Role.choices,
            "role": role,
            "q": q,
            "today": today,
            "crumbs": [{"label": "用户与授权", "url": ""}],
        },
    )


@login_required
@require_POST
def grant_end(request: HttpRequest, grant_id: int) -> HttpResponse:
    grant = access_grant_by_id(request.user, grant_id)
    try:
        services.grant_end(actor=request.user, grant=grant, valid_to=timezone.localdate())
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(
            request, f"已终止 {grant.user.display_name} 的{grant.get_role_display()}角色"
        )
    return redirect("accounts:people")
