"""A rule number that lived in code becomes data: how soon after the 支部委员会审查 the 公示 must
start. The 细则 (第十九条) gives no number, so it is a local practice setting ("地方做法") the
county edits like the other local numbers; it is added to every rule set that lacks it."""

from __future__ import annotations

from django.db import migrations

KEY = "notice_start_within_days"
ROW = {
    "value": 60,
    "unit": "天",
    "label": "支部委员会审查后开始公示的期限",
    "article": "第十九条未规定天数",
    "tag": "local",
}


def add(apps, schema_editor):  # type: ignore[no-untyped-def]
    RuleSet = apps.get_model("recruitment", "RuleSet")
    Limit = apps.get_model("recruitment", "Limit")
    for rule_set in RuleSet.objects.all():
        Limit.objects.get_or_create(rule_set=rule_set, key=KEY, defaults=ROW)


def remove(apps, schema_editor):  # type: ignore[no-untyped-def]
    Limit = apps.get_model("recruitment", "Limit")
    Limit.objects.filter(key=KEY).delete()


class Migration(migrations.Migration):
    dependencies = [("recruitment", "0003_step_files")]

    operations = [migrations.RunPython(add, remove)]
