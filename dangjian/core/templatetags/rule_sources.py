"""``{{ rule.source|rule_source }}`` / ``{{ rule.source|rule_source:rule.tag }}``."""

from __future__ import annotations

from django import template

from dangjian.core.rule_sources import rule_source_text

register = template.Library()


@register.filter
def rule_source(source: str | None, tag: str = "") -> str:
    """A rule's source for a screen (see ``dangjian.core.rule_sources``)."""
    return rule_source_text(source, tag or "")
