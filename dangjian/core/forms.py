"""Form plumbing shared by every app: Tabler classes on widgets, the one set of date widgets,
and the stale-form check for edit forms."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.choices import normalize_choices
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

# What a browser's <input type=date|datetime-local|time|month> puts in ``value`` and sends back.
# Anything else (zh-hans formats 2010/03/23 first) is shown as empty and submitted as empty.
ISO_DATE = "%Y-%m-%d"
ISO_DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
ISO_TIME = "%H:%M"
ISO_MONTH = "%Y-%m"


class DateInput(forms.DateInput):
    """The site's one date widget: ``<input type="date" value="2010-03-23">``."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None, format: str | None = None) -> None:
        super().__init__(attrs, format=format or ISO_DATE)


class DateTimeInput(forms.DateTimeInput):
    """The site's one date-and-time widget: ``<input type="datetime-local">`` in local time."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None, format: str | None = None) -> None:
        super().__init__(attrs, format=format or ISO_DATETIME_LOCAL)


class TimeInput(forms.TimeInput):
    """The site's one time widget: ``<input type="time" value="20:45">``."""

    input_type = "time"

    def __init__(self, attrs: dict[str, Any] | None = None, format: str | None = None) -> None:
        super().__init__(attrs, format=format or ISO_TIME)


class MonthInput(forms.TextInput):
    """``<input type="month" value="2026-10">``; a date (the first of the month) renders as its
    month, a string as given."""

    input_type = "month"

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, dt.date):
            return value.strftime(ISO_MONTH)
        return super().format_value(value)


class Textarea(forms.Textarea):
    """The site's one textarea: a browser sends its line breaks as CRLF; store them as LF, so
    posting a text back unchanged does not change it (nor write an audit row)."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        value = super().value_from_datadict(data, files, name)
        return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value


# Field builders shared by the apps' forms (a labelled date, a checkbox list, Tabler classes).
def date_field(label: str, *, required: bool = True) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        widget=DateInput(),
        error_messages={"required": f"请填写{label}", "invalid": f"{label}格式不正确"},
    )


def checkboxes(label: str) -> forms.TypedMultipleChoiceField:
    return forms.TypedMultipleChoiceField(
        label=label, coerce=int, required=False, choices=(), widget=forms.CheckboxSelectMultiple
    )


class CheckboxClassMixin:
    """CheckboxSelectMultiple renders one input per choice: give each Tabler's class."""

    def _fix_checkboxes(self) -> None:
        for field in self.fields.values():  # type: ignore[attr-defined]
            if isinstance(field.widget, forms.CheckboxSelectMultiple):
                field.widget.attrs["class"] = "form-check-input"


def _attrs_html(attrs: dict[str, Any]) -> SafeString:
    """`` name="value"`` pairs as Django's ``attrs.html`` writes them (True: bare, False: none)."""
    return mark_safe(  # noqa: S308 - every value is escaped by format_html
        "".join(
            format_html(" {}", name) if value is True else format_html(' {}="{}"', name, str(value))
            for name, value in attrs.items()
            if value is not False
        )
    )


class Select(forms.Select):
    """The site's ``<select>``: byte for byte the HTML of Django's ``select.html``, written in
    Python — the template includes two sub-templates per option (500 options, a branch's
    members: ~40 ms of template rendering; this ~9 ms). ``StyledFormMixin`` gives it to every
    plain select; the name keeps ``BoundField.widget_type`` "select"."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        if (self.template_name, self.option_template_name) != (
            forms.Select.template_name,
            forms.Select.option_template_name,
        ):  # someone asked for other templates: let Django render them
            return super().render(name, value, attrs, renderer)
        widget = self.get_context(name, value, attrs)["widget"]
        parts: list[str] = [
            format_html('<select name="{}"{}>', widget["name"], _attrs_html(widget["attrs"]))
        ]
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(format_html('\n  <optgroup label="{}">', group_name))
            parts.extend(
                format_html(
                    '\n  <option value="{}"{}>{}</option>\n',
                    str(o["value"]),
                    _attrs_html(o["attrs"]),
                    o["label"],
                )
                for o in options
            )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every part is escaped by format_html


class StyledFormMixin:
    """Adds Tabler's CSS classes to every widget so templates stay plain."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        for field in self.fields.values():  # type: ignore[attr-defined]
            widget = field.widget
            if isinstance(widget, (forms.CheckboxInput, forms.RadioSelect)):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
                if type(widget) is forms.Select:  # same HTML, without a template per option
                    widget.__class__ = Select
            else:
                css = "form-control"
            widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()


# --- Organization pickers ------------------------------------------------------------------

ONLY_CHOICE_HINT = "您只负责这一个组织，已自动选定"


class ScopeChoiceField(forms.TypedChoiceField):
    """A required pick among the organizations the viewer may write to (所在党支部, 所属村 …).

    With exactly one eligible organization there is nothing to pick: it is preselected and
    shown read-only (a disabled select, which the browser does not send), and the form takes
    that one value whatever is posted. Views set ``choices`` as before; every form that asks
    for an organization from the viewer's scope declares its field with this class, so a
    secretary of one branch never picks it again."""

    widget = Select  # hundreds of organizations for a county: the Python rendering

    def __init__(self, *, coerce: Any = int, choices: Any = (), **kwargs: Any) -> None:
        self.only_value: Any = None
        self._help_text = kwargs.get("help_text", "")
        super().__init__(coerce=coerce, choices=choices, **kwargs)

    @property  # type: ignore[override]
    def choices(self) -> Any:
        return self._choices

    @choices.setter
    def choices(self, value: Any) -> None:
        self._choices = self.widget.choices = normalize_choices(value)
        real = [v for v, label in self._choices if v not in ("", None)]
        grouped = any(isinstance(label, (list, tuple)) for _, label in self._choices)
        if self.required and len(real) == 1 and not grouped:
            self.only_value = real[0]
            self.initial = real[0]
            self.disabled = True
            self.help_text = ONLY_CHOICE_HINT
        else:
            self.only_value = None
            self.disabled = False
            self.help_text = self._help_text

    def clean(self, value: Any) -> Any:
        if self.only_value is not None:
            value = self.only_value
        return super().clean(value)


# --- Stale forms ---------------------------------------------------------------------------

ROW_VERSION_FIELD = "row_version"
STALE_MESSAGE = "这条记录在您打开页面之后已被他人修改。为避免覆盖别人的修改，本次没有保存；请重新打开页面，核对后再改。"


def _plain(value: Any) -> Any:
    """A JSON-able, stable rendering of one initial value (rows by pk, sets sorted)."""
    if hasattr(value, "pk"):
        return value.pk
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_plain(v) for v in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)


def row_version(initial: dict[str, Any]) -> str:
    """A keyed digest of the values an edit form shows, i.e. of what a save would overwrite.

    Keyed with SECRET_KEY so the token in the page gives away nothing about the values (an
    unkeyed hash of a short field could be brute-forced)."""
    text = json.dumps({k: _plain(v) for k, v in initial.items()}, sort_keys=True, default=str)
    return salted_hmac("dangjian.core.forms.row_version", text, algorithm="sha256").hexdigest()[:32]


class EditFormMixin:
    """For forms that edit a stored row: the view builds ``initial`` from the row as it is now,
    on GET and on POST alike; the page carries a digest of it in a hidden field, and a POST whose
    digest no longer matches (someone saved the row in between) is refused with a clear message
    instead of overwriting their change. A form without the field (an old page, a script) is
    refused the same way. The service's own row lock guards the instant between this check and
    its write."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        self.fields[ROW_VERSION_FIELD] = forms.CharField(  # type: ignore[attr-defined]
            label="版本", required=False, widget=forms.HiddenInput
        )
        self.initial[ROW_VERSION_FIELD] = row_version(  # type: ignore[attr-defined]
            {k: v for k, v in self.initial.items() if k != ROW_VERSION_FIELD}  # type: ignore[attr-defined]
        )

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean()  # type: ignore[misc]
        sent = cleaned.pop(ROW_VERSION_FIELD, "") or ""
        if not constant_time_compare(sent, self.initial[ROW_VERSION_FIELD]):  # type: ignore[attr-defined]
            raise ValidationError(STALE_MESSAGE, code="stale")
        return cleaned

    @property
    def changed_data(self) -> list[str]:  # type: ignore[override]
        return [n for n in super().changed_data if n != ROW_VERSION_FIELD]  # type: ignore[misc]


def add_validation_error(form: forms.Form, exc: Any) -> None:
    """Show a service's ValidationError on the form: field messages on their fields (when the
    form has them), everything else at the top; the form then re-renders with nothing saved."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
    else:
        form.add_error(None, exc)
