"""``{% row_version_input status=r.status reason=r.reason %}``: the stale-form token for a form
written by hand in a template (one row of a list), matching an ``EditFormMixin`` form built with
the same values as ``initial``."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from dangjian.core.forms import ROW_VERSION_FIELD, row_version

register = template.Library()


@register.simple_tag
def row_version_input(**values: Any) -> SafeString:
    return format_html(
        '<input type="hidden" name="{}" value="{}">', ROW_VERSION_FIELD, row_version(values)
    )
