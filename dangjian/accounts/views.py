"""Login, logout, the working organization, password and API tokens."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from dangjian.accounts import services
from dangjian.accounts.access import access_grant_by_id, access_token_by_id, tokens_of
from dangjian.accounts.forms import GrantForm, LoginForm, StyledPasswordChangeForm, TokenForm
from dangjian.accounts.models import User
from dangjian.accounts.roles import Role
from dangjian.accounts.selectors import grants_managed_by
from dangjian.orgs.access import access_org_by_id, scope_roots


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    form_class = StyledPasswordChangeForm
    success_url = reverse_lazy("home")

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        messages.success(self.request, "密码已修改")
        return super().form_valid(form)


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
        _, new_key = services.token_create(
            actor=request.user,
            user=cast(User, request.user),
            name=form.cleaned_data["name"],
            days=form.cleaned_data["days"],
        )
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
            org = access_org_by_id(viewer, data["org"], action="grant.manage")
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
