"""The national recruitment rules (《中国共产党发展党员工作细则》, 2014) as data: 25 steps and the
numbers they are checked against, each with its article. A revision is a new rule set row."""

from __future__ import annotations

import datetime as dt

from django.db import migrations

NAME = "《中国共产党发展党员工作细则》"
VERSION = "2014"
SOURCE = (
    "中共中央办公厅2014年6月印发《中国共产党发展党员工作细则》；预备期依据《中国共产党章程》"
    "第七条。标“地方做法”的数值为多数地方的通行要求，可按本地规定修改。"
)

# (number, code, name, stage, article, requirement, needs_upper, repeatable)
STEPS = [
    (1, "apply", "递交入党申请书", "applicant", "第五条", "年满18周岁，向工作、学习所在单位党组织提出", False, False),
    (2, "talk", "党组织派人谈话", "applicant", "第七条", "收到入党申请书后一个月内派人谈话", False, False),
    (3, "activist", "推荐和确定入党积极分子", "activist", "第八条", "党员推荐或群团组织推优，支部委员会研究决定", False, False),
    (4, "activist_filed", "报上级党委备案", "activist", "第九条", "确定入党积极分子后报上级党委备案", False, False),
    (5, "mentors", "指定培养联系人", "activist", "第十条", "指定一至两名正式党员作培养联系人", False, False),
    (6, "cultivation", "培养教育考察", "activist", "第十一条", "每半年对入党积极分子进行一次考察", False, True),
    (7, "candidate", "确定发展对象", "candidate", "第十三条", "经过一年以上培养教育和考察，支部委员会讨论同意", False, False),
    (8, "candidate_filed", "报上级党委备案", "candidate", "第十三条", "列为发展对象前报上级党委备案", False, False),
    (9, "sponsors", "确定入党介绍人", "candidate", "第十四条", "两名正式党员作入党介绍人", False, False),
    (10, "political_review", "进行政治审查", "candidate", "第十六条", "未经政治审查或政治审查不合格的，不能发展入党", False, False),
    (11, "training", "开展集中培训", "candidate", "第十七条", "短期集中培训一般不少于3天或24个学时", False, False),
    (12, "branch_review", "支部委员会审查", "admission", "第十九条", "集体讨论认为合格后，公示并报上级党委预审", False, False),
    (13, "pre_review", "上级党委预审", "admission", "第十九条", "公示期满后预审；3个月内将离开工作、学习单位的一般不办理接收手续", True, False),
    (14, "volunteer_form", "填写入党志愿书", "admission", "第二十条", "预审合格后发放《入党志愿书》，登记志愿书编号", False, False),
    (15, "general_meeting", "支部大会讨论", "admission", "第二十二条", "有表决权的到会人数超过应到会人数的半数，赞成人数超过应到会有表决权的正式党员的半数", False, False),
    (16, "upper_talk", "上级党委派人谈话", "admission", "第二十四条", "上级党委审批前派人同发展对象谈话", True, False),
    (17, "approval", "上级党委审批", "admission", "第二十五条", "支部大会通过后3个月内审批，特殊情况可延长，最长不超过6个月", True, False),
    (18, "filed_dept", "报组织部门备案", "admission", "第二十六条", "审批后报上级组织部门备案", True, False),
    (19, "placement", "编入党支部和党小组", "admission", "第二十八条", "预备党员编入党支部和党小组", False, False),
    (20, "oath", "入党宣誓", "admission", "第二十九条", "预备党员进行入党宣誓", False, False),
    (21, "probation_education", "继续教育考察", "probation", "第三十条", "对预备党员继续进行教育和考察；预备期一年", False, True),
    (22, "conversion_apply", "提出转正申请", "probation", "第三十一条", "预备期满时由本人提出书面转正申请", False, False),
    (23, "conversion_meeting", "支部大会讨论转正", "probation", "第三十二条", "按期转正、延长预备期（6个月至1年，只能一次）或取消预备党员资格", False, False),
    (24, "conversion_approval", "上级党委审批转正", "probation", "第三十四条", "支部大会决议后3个月内审批；党龄自预备期满转为正式党员之日算起", True, False),
    (25, "archive", "材料归档", "probation", "第三十七条", "入党申请书、志愿书、政治审查材料、转正申请、培养考察材料归入人事档案", False, False),
]  # fmt: skip

# (key, value, unit, label, article, tag)
LIMITS = [
    ("min_age", None, "周岁", "递交入党申请书须年满", "第五条", "reg"),
    ("talk_within_months", 1, "个月", "收到入党申请书后派人谈话的期限", "第七条", "reg"),
    ("activist_after_apply_months", 6, "个月", "递交入党申请书后确定为入党积极分子的最短时间", "第八条", "local"),
    ("mentors_min", 1, "人", "培养联系人最少", "第十条", "reg"),
    ("mentors_max", 2, "人", "培养联系人最多", "第十条", "reg"),
    ("review_every_months", 6, "个月", "对入党积极分子考察的间隔", "第十一条", "reg"),
    ("candidate_after_activist_months", 12, "个月", "确定为入党积极分子后列为发展对象的最短时间", "第十三条", "reg"),
    ("sponsors", 2, "人", "入党介绍人人数", "第十四条", "reg"),
    ("training_min_days", 3, "天", "短期集中培训最少天数", "第十七条", "reg"),
    ("training_min_hours", 24, "学时", "短期集中培训最少学时", "第十七条", "reg"),
    ("notice_working_days", 5, "个工作日", "发展对象公示期", "地方做法", "local"),
    ("departure_months", 3, "个月", "将离开工作、学习单位不办理接收手续的期限", "第十九条", "reg"),
    ("approval_months", 3, "个月", "上级党委审批接收预备党员的期限", "第二十五条", "reg"),
    ("approval_max_months", 6, "个月", "延长审批的最长期限", "第二十五条", "reg"),
    ("probation_months", None, "个月", "预备期", "党章第七条", "reg"),
    ("conversion_apply_months_before", 1, "个月", "预备期满前提出转正申请的提前量", "地方做法", "local"),
    ("extension_min_months", 6, "个月", "延长预备期最短", "第三十三条", "reg"),
    ("extension_max_months", 12, "个月", "延长预备期最长", "第三十三条", "reg"),
    ("extensions_allowed", 1, "次", "延长预备期的次数", "第三十三条", "reg"),
    ("conversion_approval_months", 3, "个月", "上级党委审批转正的期限", "第三十四条", "reg"),
    ("rural_gap_years", 3, "年", "未发展党员的村的统计年限", "地方做法（三年未发展党员的村）", "local"),
]  # fmt: skip


def _shared_numbers() -> dict[str, int]:
    # The admission age and the probation term are already data of the member registry
    # (members.rules.STATUS_RULES); this rule set starts from the same numbers.
    from dangjian.members.rules import STATUS_RULES

    return {
        "min_age": STATUS_RULES.admission_min_age,
        "probation_months": STATUS_RULES.probation_months,
    }


def load(apps, schema_editor):  # type: ignore[no-untyped-def]
    RuleSet = apps.get_model("recruitment", "RuleSet")
    StepDef = apps.get_model("recruitment", "StepDef")
    Limit = apps.get_model("recruitment", "Limit")
    rule_set, _ = RuleSet.objects.get_or_create(
        name=NAME,
        version=VERSION,
        defaults={"source": SOURCE, "effective_from": dt.date(2014, 6, 11)},
    )
    for number, code, name, stage, article, requirement, upper, repeatable in STEPS:
        StepDef.objects.get_or_create(
            rule_set=rule_set,
            number=number,
            defaults={
                "code": code,
                "name": name,
                "stage": stage,
                "article": article,
                "requirement": requirement,
                "needs_upper": upper,
                "repeatable": repeatable,
            },
        )
    shared = _shared_numbers()
    for key, value, unit, label, article, tag in LIMITS:
        Limit.objects.get_or_create(
            rule_set=rule_set,
            key=key,
            defaults={
                "value": shared[key] if value is None else value,
                "unit": unit,
                "label": label,
                "article": article,
                "tag": tag,
            },
        )


def unload(apps, schema_editor):  # type: ignore[no-untyped-def]
    RuleSet = apps.get_model("recruitment", "RuleSet")
    RuleSet.objects.filter(name=NAME, version=VERSION).delete()


class Migration(migrations.Migration):
    dependencies = [("recruitment", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
