"""The collection rules of the 2008 set as data: 补交 limit, the 自行脱党 review after six months
without paying (党章第九条), and the one-off amount that goes wholly to 中央."""

from decimal import Decimal

from django.db import migrations

NAME = "党费收缴标准（全国）"
VERSION = "2008"
EXTRA = (
    "收缴：按月交纳，经党支部同意可按季度交纳；补交一般不超过6个月，超过的须经上级党委批准；"
    "减交、免交须本人申请，党支部讨论，报上级党委审批；党组织不得垫交、扣缴党费；"
    "党员自愿一次性交纳1000元以上的党费，全部上缴中央。"
    "《中国共产党章程》第九条：党员如果没有正当理由，连续六个月不参加党的组织生活，"
    "或不交纳党费，或不做党所分配的工作，就被认为是自行脱党。"
)


def seed(apps, schema_editor):
    DuesRuleSet = apps.get_model("dues", "DuesRuleSet")
    for rule_set in DuesRuleSet.objects.filter(name=NAME, version=VERSION, scope=None):
        rule_set.backpay_months = 6
        rule_set.lapse_months = 6
        rule_set.central_threshold = Decimal("1000.00")
        if EXTRA not in rule_set.source:
            rule_set.source = rule_set.source + EXTRA
        rule_set.save()


def unseed(apps, schema_editor):
    DuesRuleSet = apps.get_model("dues", "DuesRuleSet")
    for rule_set in DuesRuleSet.objects.filter(name=NAME, version=VERSION, scope=None):
        rule_set.source = rule_set.source.replace(EXTRA, "")
        rule_set.save()


class Migration(migrations.Migration):
    dependencies = [("dues", "0003_collection_ledger")]

    operations = [migrations.RunPython(seed, unseed)]
