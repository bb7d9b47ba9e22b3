"""Derive ``Household.needs_care`` from the tags of households written before the field."""

from django.db import migrations


def backfill(apps, schema_editor):
    Household = apps.get_model("grid", "Household")
    through = Household.tags.through
    care = through.objects.filter(householdtag__needs_care=True).values("household_id")
    Household.objects.filter(pk__in=care).update(needs_care=True)


class Migration(migrations.Migration):
    dependencies = [("grid", "0004_household_needs_care")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
