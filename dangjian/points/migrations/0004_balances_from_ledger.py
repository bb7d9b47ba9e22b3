"""Data: materialise the open periods' balances from the ledger (what ``points_reconcile --fix``
does). Reverse: drop the open periods and their balances (before 0003 only closes made rows)."""

from django.db import migrations


def forwards(apps, schema_editor):
    PointsEntry = apps.get_model("points", "PointsEntry")
    if not PointsEntry.objects.exists():
        return
    # The rebuild is the app's own service (one place for the rule); it only touches the
    # tables as they are at 0003.
    from dangjian.points.models import PointsScheme
    from dangjian.points.services import balances_rebuild

    for scheme in PointsScheme.objects.filter(kind="base").order_by("year", "id"):
        balances_rebuild(scheme=scheme)


def backwards(apps, schema_editor):
    PointsPeriod = apps.get_model("points", "PointsPeriod")
    PointsPeriod.objects.filter(state="open").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("points", "0003_balances_for_open_periods"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
