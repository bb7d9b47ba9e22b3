"""The default 积分 catalogue and star bands (2025–2027), used by a county until it adopts its own.

Every number is local practice ([local]) and editable: RULES.md §6 (seed 001 推行党员量化积分制
管理、发放"积分存折"、定期评分、张榜晒分; seed 000 党员"双亮"活动和星级评定、积分管理).
"""

from __future__ import annotations

from decimal import Decimal

from django.db import migrations

YEARS = (2025, 2026, 2027)
SCHEME_NAME = "党员量化积分管理（默认方案）"
SCHEME_SOURCE = (
    "[local] 各地“党员积分制管理”通行做法：基础分100分，加分、扣分项目按月或按季度封顶，"
    "每季度张榜晒分，低于60分的党员由支部书记谈话提醒；星级评定按100分评分细则，"
    "五星≥90、四星≥80、三星≥70，各档比例由县委组织部确定，评定结果公示5个工作日。"
    "所有数值均可由县委组织部调整。"
)

# (code, name, category, points, cap_period, cap_points, mode, self_report, evidence, source)
ITEMS = [
    (
        "meeting_present",
        "参加“三会一课”等组织生活",
        "org_life",
        "2",
        "month",
        "6",
        "auto",
        False,
        False,
        "[local] 按时参加组织生活每次加2分，每月最多6分；以上级党委审核通过的会议记录出席情况为准",
    ),
    (
        "meeting_absent_unexcused",
        "无故缺席组织生活",
        "org_life",
        "-5",
        "",
        None,
        "auto",
        False,
        False,
        "[local] 无故不参加组织生活每次扣5分（请假不扣分）",
    ),
    (
        "service_order_done",
        "办结群众诉求服务工单",
        "service",
        "2",
        "month",
        "10",
        "auto",
        False,
        False,
        "[local] 办结派单的群众服务诉求每件加2分，每月最多10分",
    ),
    (
        "study_online",
        "完成线上学习任务",
        "study",
        "1",
        "month",
        "4",
        "manual",
        True,
        True,
        "[local] 完成学习强国、党员教育平台等学习任务每次1分，每月最多4分，须附截图",
    ),
    (
        "volunteer_service",
        "参加志愿服务活动",
        "service",
        "3",
        "month",
        "9",
        "manual",
        True,
        True,
        "[local] 参加志愿服务、结对帮扶等活动每次3分，每月最多9分，须附活动照片",
    ),
    (
        "dues_on_time",
        "按时足额交纳党费",
        "discipline",
        "1",
        "month",
        "1",
        "auto",
        False,
        False,
        "[local] 按月足额交纳党费每月1分",
    ),
    (
        "role_model",
        "发挥先锋模范作用受到表彰",
        "role",
        "5",
        "year",
        "15",
        "manual",
        True,
        True,
        "[local] 在急难险重任务、乡村振兴中表现突出受到表彰每次5分，每年最多15分，须附证明",
    ),
    (
        "suggestion_adopted",
        "提出意见建议被采纳",
        "role",
        "2",
        "quarter",
        "4",
        "manual",
        True,
        False,
        "[local] 为村（社区）发展提出建议被采纳每次2分，每季度最多4分",
    ),
    (
        "dues_late",
        "无正当理由未按时交纳党费",
        "discipline",
        "-3",
        "",
        None,
        "manual",
        False,
        False,
        "[local] 无正当理由未按时交纳党费每次扣3分",
    ),
    (
        "discipline_violation",
        "违反村规民约或受到批评教育",
        "discipline",
        "-10",
        "",
        None,
        "manual",
        False,
        False,
        "[local] 违反村规民约、不履行党员义务受到批评教育每次扣10分",
    ),
]

# (stars, min_score, max_ratio %, source)
BANDS = [
    (5, "90", 20, "[local] 五星：评分≥90分，一般不超过支部党员的20%"),
    (4, "80", 40, "[local] 四星：评分≥80分，一般不超过支部党员的40%"),
    (3, "70", None, "[local] 三星：评分≥70分"),
    (2, "60", None, "[local] 二星：评分≥60分"),
    (1, "0", None, "[local] 一星：评分低于60分"),
]


def load(apps, schema_editor):  # type: ignore[no-untyped-def]
    Scheme = apps.get_model("points", "PointsScheme")
    Item = apps.get_model("points", "PointsItem")
    Band = apps.get_model("points", "StarBand")
    for year in YEARS:
        scheme = Scheme.objects.create(
            kind="base", scope=None, year=year, name=SCHEME_NAME, source=SCHEME_SOURCE
        )
        for position, row in enumerate(ITEMS):
            code, name, cat, pts, cap_p, cap, mode, self_report, evidence, source = row
            Item.objects.create(
                scheme=scheme,
                code=code,
                name=name,
                category=cat,
                points=Decimal(pts),
                cap_period=cap_p,
                cap_points=Decimal(cap) if cap else None,
                mode=mode,
                self_report=self_report,
                evidence_required=evidence,
                source=source,
                tag="local",
                position=position,
            )
        for stars, min_score, ratio, source in BANDS:
            Band.objects.create(
                scheme=scheme,
                stars=stars,
                min_score=Decimal(min_score),
                max_ratio=ratio,
                source=source,
            )


def unload(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("points", "PointsScheme").objects.filter(
        scope__isnull=True, year__in=YEARS, name=SCHEME_NAME
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("points", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
