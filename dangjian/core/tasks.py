"""Core background jobs."""

from __future__ import annotations

from django_tasks import task

from dangjian.core.services import calendar_import_year


@task()
def calendar_import_year_task(year: int) -> int:
    return calendar_import_year(year=year)
