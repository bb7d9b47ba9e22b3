"""Core background jobs."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from dangjian.core.files import import_error_files_purge
from dangjian.core.services import calendar_import_year


@task()
def calendar_import_year_task(year: int) -> int:
    return calendar_import_year(year=year)


@task()
def import_error_files_purge_task(today_iso: str) -> int:
    """Daily: delete failed-import workbooks (full ID numbers, phones) past their time."""
    return import_error_files_purge(now=timezone.now())
