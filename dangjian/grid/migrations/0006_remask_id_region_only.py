"""Re-mask stored 公民身份号码 to the region only (``330102************``).

The old mask kept the last four characters (sequence and check digit), which with the birth
date shown beside it rebuilt the whole number (docs/members.md, 隐私保护). The new mask is
computed from the old one (both keep the first six), so nothing is decrypted. Reversing leaves
the safer mask in place: the old one is not worth restoring.
"""

from django.db import migrations
from django.db.models import CharField, Value
from django.db.models.functions import Concat, Length, Substr

FIELD = "head_id_masked"


def remask(apps, schema_editor):
    model = apps.get_model("grid", "Household")
    model.objects.annotate(masked_length=Length(FIELD)).filter(masked_length=18).exclude(
        **{f"{FIELD}__endswith": "*" * 12}
    ).update(**{FIELD: Concat(Substr(FIELD, 1, 6), Value("*" * 12), output_field=CharField())})


class Migration(migrations.Migration):
    dependencies = [
        ("grid", "0005_backfill_needs_care"),
    ]

    operations = [migrations.RunPython(remask, migrations.RunPython.noop)]
