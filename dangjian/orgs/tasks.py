"""Background jobs of the organization tree."""

from __future__ import annotations

from django_tasks import task

from dangjian.orgs.services import rewrite_copied_paths


@task()
def org_paths_rewrite_task(model_label: str, old: str, new: str) -> int:
    """Rewrite a large table's copied paths after a subtree move (idempotent: old is gone)."""
    return rewrite_copied_paths(model_label=model_label, old=old, new=new)


@task()
def org_term_reminders_task(today_iso: str) -> int:
    """Daily: 换届 reminders (idempotent per organization, term and window)."""
    import datetime as dt

    from dangjian.orgs.services import org_term_reminders_send

    return org_term_reminders_send(today=dt.date.fromisoformat(today_iso))
