"""Household tags (code table) and the default grid work rules, as data with their source."""

import datetime as dt

from django.db import migrations

TAGS = [
    # code, label, needs_care
    ("elderly_alone", "独居老人", True),
    ("left_behind_elderly", "留守老人", True),
    ("left_behind_child", "留守儿童", True),
    ("dibao", "低保", True),
    ("tekun", "特困供养", True),
    ("disabled", "残疾", True),
    ("serious_illness", "大病重病", True),
    ("poverty_watch", "防返贫监测户", True),
    ("military_family", "军烈属", False),
    ("veteran", "退役军人", False),
    ("migrant_out", "外出务工", False),
    ("rental", "出租户", False),
]

RULES = {
    "name": "网格与联户工作规则",
    "version": "2026",
    "source": (
        "地方通行做法（可配置）：每名党员联系 10 户以内，党员中心户联系周边 15 户以内"
        "（种子文件 000“建立党员联户制度”、001“党员中心户+网格责任田”）；村情民意收集后 15 日内"
        "办结或答复（件件有着落、事事有回音）[verify]"
    ),
    "tag": "verify",
    "effective_from": dt.date(2020, 1, 1),
    "links_per_member_max": 10,
    "households_per_anchor_max": 15,
    "opinion_reply_days": 15,
}


def load(apps, schema_editor):
    HouseholdTag = apps.get_model("grid", "HouseholdTag")
    GridRuleSet = apps.get_model("grid", "GridRuleSet")
    for i, (code, label, care) in enumerate(TAGS):
        HouseholdTag.objects.update_or_create(
            code=code, defaults={"label": label, "needs_care": care, "sort": (i + 1) * 10}
        )
    if not GridRuleSet.objects.filter(scope__isnull=True, version=RULES["version"]).exists():
        GridRuleSet.objects.create(**RULES)


def unload(apps, schema_editor):
    apps.get_model("grid", "HouseholdTag").objects.filter(code__in=[t[0] for t in TAGS]).delete()
    apps.get_model("grid", "GridRuleSet").objects.filter(
        scope__isnull=True, version=RULES["version"]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("grid", "0002_households_opinions_mediations")]

    operations = [migrations.RunPython(load, unload)]
