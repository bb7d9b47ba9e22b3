"""Backfill ``public_note`` of existing history entries from the system's own wording only.

Until now the whole ``note`` of a public entry was shown to residents and on Open311, staff
text included. Staff text cannot be told apart from system text after the fact, so old entries
keep only what the system wrote (the step's template) — except the two notes the form always
labelled as addressed to the resident (请群众补充, 未解决关闭的理由), which stay public. Numbers
in them are masked again whenever they are read.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

SYSTEM_NOTES = ("领单后超时未办理，退回待领", "评价期限已过，记为“未评价”")


def _public(action: str, note: str) -> tuple[str, bool]:
    first = note.split("；", 1)[0]
    if action == "dispatch":
        return "已派党员承办", False
    if action == "submit":
        return note.split("；同意情况：", 1)[0], False
    if action in ("rate", "reopen"):  # composed from the resident's own rating
        return note, False
    if action in ("wait", "close_unresolved"):
        return note, True
    if action in ("transfer", "recategorize"):
        return first, False
    if action == "reopen_by_staff":
        last = note.rsplit("；", 1)[-1]
        return (last if last.startswith("第 ") else ""), False
    if first in SYSTEM_NOTES:
        return first, False
    return "", False


def forwards(apps: Any, schema_editor: Any) -> None:
    RequestEvent = apps.get_model("service_requests", "RequestEvent")
    batch = []
    for event in RequestEvent.objects.exclude(note="").only("id", "action", "note").iterator():
        event.public_note, event.note_public = _public(event.action, event.note)
        batch.append(event)
        if len(batch) >= 1000:
            RequestEvent.objects.bulk_update(batch, ["public_note", "note_public"])
            batch = []
    RequestEvent.objects.bulk_update(batch, ["public_note", "note_public"])


def backwards(apps: Any, schema_editor: Any) -> None:
    apps.get_model("service_requests", "RequestEvent").objects.update(
        public_note="", note_public=False
    )


class Migration(migrations.Migration):
    dependencies = [("service_requests", "0006_event_public_note")]

    operations = [migrations.RunPython(forwards, backwards)]
