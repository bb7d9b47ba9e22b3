"""System configuration: the grid work rules (a revision is a new rule set, or a set scoped to a
subtree) and the household tag code table are edited here."""

from __future__ import annotations

from django.contrib import admin

from dangjian.grid.models import GridRuleSet, HouseholdTag


@admin.register(GridRuleSet)
class GridRuleSetAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "version",
        "scope",
        "effective_from",
        "effective_to",
        "links_per_member_max",
        "households_per_anchor_max",
        "opinion_reply_days",
        "tag",
    )
    raw_id_fields = ("scope",)


@admin.register(HouseholdTag)
class HouseholdTagAdmin(admin.ModelAdmin):
    list_display = ("code", "label", "needs_care", "sort", "is_active")
    list_editable = ("label", "sort", "is_active")
    # needs_care is copied onto households when their tags change: changing it here does not
    # rewrite existing households (a data fix would), so it is shown but not edited in bulk.
    readonly_fields = ("code",)
