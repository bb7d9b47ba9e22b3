"""Seed the national 2008 dues rules (中组发〔2008〕3号).

Rounding: base × rate, ROUND_HALF_UP to 0.01 元 (see ``dangjian.dues.rules.round_cents``).
"""

from decimal import Decimal

from django.db import migrations

NAME = "党费收缴标准（全国）"
VERSION = "2008"
SOURCE = (
    "中共中央组织部《关于中国共产党党费收缴、使用和管理的规定》（中组发〔2008〕3号），"
    "2008年2月印发。按月交纳；每月工资收入（税后）3000元以下（含3000元）者交纳月工资收入的0.5%，"
    "3000元以上至5000元（含5000元）者交纳1%，5000元以上至10000元（含10000元）者交纳1.5%，"
    "10000元以上者交纳2%；实行年薪制人员按当月实得年薪收入、个体经营等人员按上季度月平均纯收入"
    "适用同一标准；离退休干部职工月离退休费5000元以下（含5000元）按0.5%、5000元以上按1%交纳；"
    "农民党员每月交纳0.2元至1元，由各省（区、市）党委组织部确定；学生党员、下岗失业党员、"
    "领取救济或低保的党员每月交纳0.2元。本系统计算：基数×比例，四舍五入（ROUND_HALF_UP）到0.01元。"
)

PAY_BANDS = [
    (Decimal("3000.00"), Decimal("0.005")),
    (Decimal("5000.00"), Decimal("0.01")),
    (Decimal("10000.00"), Decimal("0.015")),
    (None, Decimal("0.02")),
]
RETIRED_BANDS = [(Decimal("5000.00"), Decimal("0.005")), (None, Decimal("0.01"))]
FIXED = [
    ("student", Decimal("0.20"), ""),
    ("unemployed", Decimal("0.20"), ""),
    ("relief", Decimal("0.20"), ""),
    # [local] The province sets the farmers' amount between 0.2 and 1 元; 0.50 until it does.
    ("farmer", Decimal("0.50"), "[local] 由省级党委组织部在 0.2–1 元之间确定"),
]


def seed(apps, schema_editor):
    DuesRuleSet = apps.get_model("dues", "DuesRuleSet")
    DuesBand = apps.get_model("dues", "DuesBand")
    rule_set = DuesRuleSet.objects.create(
        name=NAME,
        version=VERSION,
        source=SOURCE,
        effective_from="2008-01-01",
        effective_to=None,
        scope=None,
    )
    bands = []
    for category in ("salaried", "annual_salary", "self_employed", "other"):
        for i, (upper, rate) in enumerate(PAY_BANDS):
            bands.append(
                DuesBand(rule_set=rule_set, category=category, upper_bound=upper, rate=rate, sort=i)
            )
    for i, (upper, rate) in enumerate(RETIRED_BANDS):
        bands.append(
            DuesBand(rule_set=rule_set, category="retired", upper_bound=upper, rate=rate, sort=i)
        )
    for category, amount, note in FIXED:
        bands.append(
            DuesBand(rule_set=rule_set, category=category, fixed_amount=amount, note=note, sort=0)
        )
    DuesBand.objects.bulk_create(bands)


def unseed(apps, schema_editor):
    DuesRuleSet = apps.get_model("dues", "DuesRuleSet")
    DuesRuleSet.objects.filter(name=NAME, version=VERSION, scope=None).delete()


class Migration(migrations.Migration):
    dependencies = [("dues", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
