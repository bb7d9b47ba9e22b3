"""Background jobs of 积分与星级: star reviews whose 公示 has ended become current."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from dangjian.points.services import star_reviews_finalize_due


@task()
def points_daily_task(today_iso: str) -> int:
    """Daily: a 星级评定 whose last 公示 working day has passed takes effect."""
    return star_reviews_finalize_due(today=dt.date.fromisoformat(today_iso))
