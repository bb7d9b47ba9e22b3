"""System configuration: the recruitment rule sets are edited here (a revision is a new rule set
with its own steps and numbers; applicants keep the set they started under)."""

from __future__ import annotations

from django.contrib import admin

from dangjian.recruitment.models import Limit, RuleSet, StepDef


class StepDefInline(admin.TabularInline):
    model = StepDef
    extra = 0
    fields = (
        "number",
        "code",
        "name",
        "stage",
        "article",
        "requirement",
        "needs_upper",
        "repeatable",
    )
    readonly_fields = ("number", "code")  # the code reads steps by number and code


class LimitInline(admin.TabularInline):
    model = Limit
    extra = 0
    fields = ("key", "value", "unit", "label", "article", "tag")
    readonly_fields = ("key",)


@admin.register(RuleSet)
class RuleSetAdmin(admin.ModelAdmin):
    list_display = ("name", "version", "effective_from", "effective_to")
    inlines = (StepDefInline, LimitInline)
