"""Default categories, priority limits and loop timers of 接诉即办 as data (all [verify]).

RULES.md §5: commonly cited deadlines are general 7 working days, complex 15, urgent 24 h,
very urgent 2 h (Beijing 接诉即办 practice; 《北京市接诉即办工作条例》 2021). They are not a
national text, so every row is tagged ``verify``, editable, and labelled so in the UI.
"""

from __future__ import annotations

import datetime as dt

from django.db import migrations

SOURCE = "常见做法（北京市接诉即办工作条例，2021）：一般7个工作日、复杂15个工作日、紧急24小时、特急2小时；待核实，可按本地规定修改"

# (code, response_amount, response_unit, completion_amount, completion_unit)
PRIORITIES = [
    ("general", 1, "working_days", 7, "working_days"),
    ("complex", 1, "working_days", 15, "working_days"),
    ("urgent", 2, "hours", 24, "hours"),
    ("very_urgent", 30, "hours", 2, "hours"),
]

# (code, name, group, description, level, priority, response, unit, completion, unit,
#  photos_required, is_errand, extra_fields)
CATEGORIES = [
    ("road_lighting", "道路照明", "基础设施", "路灯不亮、损坏、线路裸露等", "grid", "general",
     1, "working_days", 5, "working_days", True, False,
     [{"code": "lamp_no", "label": "路灯编号", "datatype": "string", "required": False, "values": []}]),
    ("sanitation", "环境卫生", "人居环境", "垃圾堆放、污水外溢、卫生死角", "grid", "general",
     1, "working_days", 3, "working_days", True, False, []),
    ("neighbour_dispute", "邻里纠纷", "矛盾调解", "宅基地、通行、噪音等邻里矛盾，网格先行调解", "branch",
     "complex", 1, "working_days", 15, "working_days", False, False,
     [{"code": "parties", "label": "涉及户数", "datatype": "number", "required": False, "values": []}]),
    ("errand", "红色代办（代缴代办）", "红色代办", "代缴水电费、医保社保，代办证明、补贴申领等", "grid",
     "general", 1, "working_days", 5, "working_days", False, True,
     [{"code": "errand_kind", "label": "代办事项", "datatype": "singlevaluelist", "required": True,
       "values": ["代缴水电费", "代缴医保社保", "代办证明材料", "代领补贴", "其他"]}]),
    ("elderly_care", "独居老人帮扶", "民生帮扶", "独居、空巢老人的生活照料、就医陪护、探访", "grid",
     "general", 1, "working_days", 3, "working_days", False, True, []),
    ("policy", "政策咨询", "政策服务", "惠农补贴、医保社保、低保救助等政策咨询", "grid", "general",
     1, "working_days", 3, "working_days", False, False, []),
    ("utility_repair", "水电维修", "基础设施", "公共供水管道、线路故障；特困户家中水电维修", "grid",
     "general", 1, "working_days", 5, "working_days", True, False, []),
    ("road_repair", "道路维修", "基础设施", "村组道路破损、坑洼、桥涵损坏", "village", "complex",
     1, "working_days", 15, "working_days", True, False, []),
    ("safety_hazard", "安全隐患", "平安建设", "危房、电线私拉乱接、燃气泄漏等安全隐患", "grid",
     "urgent", 2, "hours", 24, "hours", True, False, []),
    ("other", "其他诉求", "其他", "以上类别之外的诉求", "grid", "general",
     1, "working_days", 7, "working_days", False, False, []),
]  # fmt: skip


def load(apps, schema_editor):
    PriorityLevel = apps.get_model("service_requests", "PriorityLevel")
    RequestCategory = apps.get_model("service_requests", "RequestCategory")
    LoopRuleSet = apps.get_model("service_requests", "LoopRuleSet")
    for code, ra, ru, ca, cu in PRIORITIES:
        PriorityLevel.objects.create(
            code=code,
            response_amount=ra,
            response_unit=ru,
            completion_amount=ca,
            completion_unit=cu,
            source=SOURCE,
            tag="verify",
        )
    for i, row in enumerate(CATEGORIES):
        code, name, group, desc, level, prio, ra, ru, ca, cu, photos, errand, extra = row
        RequestCategory.objects.create(
            code=code,
            name=name,
            group=group,
            description=desc,
            default_level=level,
            default_priority=prio,
            response_amount=ra,
            response_unit=ru,
            completion_amount=ca,
            completion_unit=cu,
            photos_required=photos,
            is_errand=errand,
            extra_fields=extra,
            sort_order=(i + 1) * 10,
            source="地方做法，待核实",
            tag="verify",
        )
    LoopRuleSet.objects.create(
        name="五单闭环默认规则",
        version="2026",
        effective_from=dt.date(2020, 1, 1),
        claim_timeout_hours=24,
        warning_hours=24,
        rating_days=7,
        link_valid_days=180,
        reopen_limit=2,
        escalation_step_working_days=2,
        source=(
            "地方做法（待核实）：领单后24小时未办理退回待领；到期前24小时预警；办结后7天内评价，"
            "逾期记为“未评价”（不计为满意）；不满意最多重办2次；逾期即升级到支部，此后每逾期2个"
            "工作日再升一级（村、乡镇、县）"
        ),
        tag="verify",
    )


def unload(apps, schema_editor):
    for model in ("PriorityLevel", "RequestCategory", "LoopRuleSet"):
        apps.get_model("service_requests", model).objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("service_requests", "0001_requests")]

    operations = [migrations.RunPython(load, unload)]
