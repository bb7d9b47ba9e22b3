"""The national organizational-life rules (《中国共产党支部工作条例（试行）》, 2018) as data."""

from __future__ import annotations

import datetime as dt

from django.db import migrations

RULE_SET_NAME = "《中国共产党支部工作条例（试行）》"
RULE_SET_VERSION = "2018"
RULE_SET_SOURCE = (
    "中共中央2018年10月28日印发《中国共产党支部工作条例（试行）》，第四章“组织生活”；"
    "正式党员7人以上的党支部，应当设立党支部委员会"
)

# (meeting_type, frequency, min_count, condition, threshold, source, tag)
REQUIREMENTS = [
    (
        "general_meeting",
        "quarterly",
        1,
        "always",
        None,
        "《支部工作条例》：支部党员大会一般每季度召开1次",
        "reg",
    ),
    (
        "committee_meeting",
        "monthly",
        1,
        "committee",
        7,
        "《支部工作条例》：支部委员会会议一般每月召开1次；正式党员7人以上的党支部设立支部委员会",
        "reg",
    ),
    (
        "group_meeting",
        "monthly",
        1,
        "has_groups",
        None,
        "《支部工作条例》：党小组会一般每月召开1次",
        "reg",
    ),
    (
        "party_lecture",
        "yearly",
        1,
        "always",
        None,
        "《支部工作条例》：党支部书记每年至少为党员讲1次党课"
        "（许多地方要求每季度1次，可按县设置覆盖）",
        "reg",
    ),
    (
        "theme_day",
        "monthly",
        1,
        "always",
        None,
        "《支部工作条例》：党支部应当每月相对固定1天开展主题党日",
        "reg",
    ),
    (
        "life_meeting",
        "yearly",
        1,
        "always",
        None,
        "《支部工作条例》：党支部每年至少召开1次组织生活会",
        "reg",
    ),
    (
        "member_review",
        "yearly",
        1,
        "always",
        None,
        "《支部工作条例》：一般每年开展1次民主评议党员",
        "reg",
    ),
    (
        "heart_talk",
        "yearly",
        1,
        "always",
        None,
        "《支部工作条例》：党支部委员之间、党支部委员和党员之间、党员和党员之间，"
        "每年谈心谈话一般不少于1次",
        "reg",
    ),
]


def create_rules(apps, schema_editor):  # type: ignore[no-untyped-def]
    RuleSet = apps.get_model("meetings", "RuleSet")
    Requirement = apps.get_model("meetings", "Requirement")
    rule_set, created = RuleSet.objects.get_or_create(
        name=RULE_SET_NAME,
        version=RULE_SET_VERSION,
        scope=None,
        defaults={"source": RULE_SET_SOURCE, "effective_from": dt.date(2018, 10, 28)},
    )
    for meeting_type, frequency, min_count, condition, threshold, source, tag in REQUIREMENTS:
        Requirement.objects.get_or_create(
            rule_set=rule_set,
            meeting_type=meeting_type,
            defaults={
                "frequency": frequency,
                "min_count": min_count,
                "condition": condition,
                "threshold": threshold,
                "source": source,
                "tag": tag,
            },
        )


def remove_rules(apps, schema_editor):  # type: ignore[no-untyped-def]
    RuleSet = apps.get_model("meetings", "RuleSet")
    RuleSet.objects.filter(name=RULE_SET_NAME, version=RULE_SET_VERSION, scope=None).delete()


class Migration(migrations.Migration):
    dependencies = [("meetings", "0001_initial")]

    operations = [migrations.RunPython(create_rules, remove_rules)]
