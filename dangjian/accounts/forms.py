from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.validators import MaxValueValidator, MinValueValidator

from dangjian.core.forms import DateInput, StyledFormMixin


class LoginForm(StyledFormMixin, AuthenticationForm):
    username = forms.CharField(
        label="用户名或手机号",
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    password = forms.CharField(
        label="密码",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    error_messages = {
        "invalid_login": "用户名（手机号）或密码不正确。连续多次输入错误，账号将被暂时锁定。",
        "inactive": "该账号已停用，请联系组织部管理员。",
    }


class StyledPasswordChangeForm(StyledFormMixin, PasswordChangeForm):
    error_messages = {
        **PasswordChangeForm.error_messages,
        "password_incorrect": "当前密码不正确。",
        "password_mismatch": "两次输入的新密码不一致。",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = "当前密码"  # the word the lockout messages use


class TokenForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label="用途说明", max_length=100, required=False)
    days = forms.IntegerField(label="有效天数", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        longest = settings.API_TOKEN_MAX_DAYS
        out_of_range = f"有效天数须在 1 到 {longest} 之间"
        days = self.fields["days"]
        days.validators += [
            MinValueValidator(1, out_of_range),
            MaxValueValidator(longest, out_of_range),
        ]
        days.widget.attrs.update({"min": 1, "max": longest, "placeholder": str(longest)})
        days.error_messages["invalid"] = "有效天数请填写整数"
        days.help_text = f"留空为 {longest} 天，最长 {longest} 天；到期后令牌自动失效"


class GrantForm(StyledFormMixin, forms.Form):
    """Give a role to an existing user (by username or mobile) or to a new user."""

    login = forms.CharField(label="用户名或手机号", max_length=150)
    name = forms.CharField(
        label="姓名（新用户）", max_length=50, required=False, help_text="用户不存在时将新建账号"
    )
    password = forms.CharField(
        label="初始密码（新用户）",
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    org = forms.IntegerField(label="组织", widget=forms.HiddenInput)
    role = forms.ChoiceField(label="角色")
    valid_from = forms.DateField(label="生效日期", widget=DateInput())
    valid_to = forms.DateField(label="失效日期", required=False, widget=DateInput())

    def __init__(self, *args: object, roles: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["role"].choices = roles  # type: ignore[attr-defined]
