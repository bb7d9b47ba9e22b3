"""Form plumbing shared by every app: Tabler classes on widgets."""

from __future__ import annotations

from typing import Any

from django import forms


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
            else:
                css = "form-control"
            widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()


def add_validation_error(form: forms.Form, exc: Any) -> None:
    """Show a service's ValidationError on the form: field messages on their fields (when the
    form has them), everything else at the top; the form then re-renders with nothing saved."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
    else:
        form.add_error(None, exc)
