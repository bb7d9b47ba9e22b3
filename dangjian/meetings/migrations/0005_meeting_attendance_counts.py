"""Each meeting carries its 应到/实到 counts, so compliance sums meetings instead of attendance
rows; filled here from the rows (one UPDATE with correlated counts over the (meeting, status)
index), kept equal to them by every writer afterwards."""

from __future__ import annotations

from typing import Any

from django.db import migrations, models
from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

PRESENT = ("present", "late")


def fill(apps: Any, schema_editor: Any) -> None:
    Meeting = apps.get_model("meetings", "Meeting")
    Attendance = apps.get_model("meetings", "Attendance")
    rows = Attendance.objects.filter(meeting_id=OuterRef("pk")).order_by().values("meeting_id")
    Meeting.objects.update(
        invited_count=Coalesce(Subquery(rows.annotate(n=Count("id")).values("n")), Value(0)),
        present_count=Coalesce(
            Subquery(rows.filter(status__in=PRESENT).annotate(n=Count("id")).values("n")),
            Value(0),
        ),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0004_attendance_meeting_status_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="meeting",
            name="invited_count",
            field=models.PositiveIntegerField(default=0, verbose_name="应到人数"),
        ),
        migrations.AddField(
            model_name="meeting",
            name="present_count",
            field=models.PositiveIntegerField(default=0, verbose_name="实到人数（含迟到）"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
