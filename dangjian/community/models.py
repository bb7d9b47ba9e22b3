"""村情民意 (opinions collected from residents), 矛盾调解 (mediations) and 乡贤 (local worthies).

They were born in ``grid`` and keep its tables (``db_table``), index and constraint names; the
move to this app changed Django's state only (``grid.0007`` / ``community.0001``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from dangjian.core.models import OrgPathCopy, TimeStampedModel
from dangjian.grid.models import Grid, Household


class OpinionRecord(OrgPathCopy, TimeStampedModel):
    """村情民意: one opinion collected from residents, how it was handled and the result."""

    class Category(models.TextChoices):
        INFRASTRUCTURE = "infrastructure", "基础设施"
        INDUSTRY = "industry", "产业发展"
        ENVIRONMENT = "environment", "人居环境"
        WELFARE = "welfare", "社会保障"
        HEALTH_EDUCATION = "health_education", "医疗教育"
        SAFETY = "safety", "治安稳定"
        LAND = "land", "土地宅基地"
        CONDUCT = "conduct", "党风政风"
        OTHER = "other", "其他"

    class Status(models.TextChoices):
        RECEIVED = "received", "待办理"
        HANDLING = "handling", "办理中"
        RESOLVED = "resolved", "已办结"
        # Answered but not solved (beyond the village's power, policy does not allow …):
        # never counted as solved.
        REPLIED = "replied", "已答复（未解决）"

    org = models.ForeignKey(
        "orgs.Organization", verbose_name="所属党组织", on_delete=models.PROTECT, related_name="+"
    )
    grid = models.ForeignKey(
        Grid,
        verbose_name="网格",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="opinions",
    )
    household = models.ForeignKey(
        Household,
        verbose_name="住户",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opinions",
    )
    collected_on = models.DateField("收集日期")
    collected_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="收集人（账号）",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    collected_by_member = models.ForeignKey(
        "members.Member",
        verbose_name="收集人（党员）",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    category = models.CharField("类别", max_length=20, choices=Category.choices)
    content = models.TextField("民意内容")
    status = models.CharField(
        "状态", max_length=16, choices=Status.choices, default=Status.RECEIVED
    )
    due_on = models.DateField("答复时限")
    handling = models.TextField("办理情况", blank=True)
    result = models.TextField("办理结果", blank=True)
    handled_on = models.DateField("办结日期", null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        db_table = "grid_opinionrecord"
        verbose_name = verbose_name_plural = "村情民意"
        ordering = ["-collected_on", "-id"]
        indexes = [
            models.Index(fields=["org_path", "collected_on"], name="opinion_path_day"),
            models.Index(fields=["grid", "collected_on"], name="opinion_grid_day"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(handled_on__isnull=True)
                | models.Q(handled_on__gte=models.F("collected_on")),
                name="opinion_handled_after_collected",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()}：{self.content[:30]}"


class LocalWorthy(OrgPathCopy, TimeStampedModel):
    """乡贤: a respected local person registered with the village, who may join mediations."""

    class Background(models.TextChoices):
        RETIRED_TEACHER = "retired_teacher", "退休教师"
        VETERAN_MEMBER = "veteran_member", "老党员"
        RETIRED_CADRE = "retired_cadre", "退休干部"
        ENTREPRENEUR = "entrepreneur", "企业家"
        RETURNEE = "returnee", "返乡创业人员"
        MODEL = "model", "道德模范"
        DOCTOR = "doctor", "乡村医生"
        LEGAL = "legal", "法律工作者"
        VETERAN = "veteran", "退役军人"
        OTHER = "other", "其他"

    org = models.ForeignKey(
        "orgs.Organization",
        verbose_name="所在村（社区）",
        on_delete=models.PROTECT,
        related_name="+",
    )
    name = models.CharField("姓名", max_length=50)
    background = models.CharField("身份背景", max_length=20, choices=Background.choices)
    specialty = models.CharField("专长", max_length=100, blank=True)
    phone_enc = models.TextField("联系电话（密文）", blank=True)
    phone_hash = models.CharField("联系电话（检索摘要）", max_length=64, blank=True)
    phone_masked = models.CharField("联系电话", max_length=20, blank=True)
    member = models.ForeignKey(
        "members.Member",
        verbose_name="党员档案",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    joined_on = models.DateField("聘请日期")
    is_active = models.BooleanField("在聘", default=True)
    note = models.CharField("备注", max_length=200, blank=True)

    class Meta:
        db_table = "grid_localworthy"
        verbose_name = verbose_name_plural = "乡贤"
        ordering = ["org_path", "id"]
        indexes = [models.Index(fields=["org_path", "id"], name="worthy_path_id")]

    def __str__(self) -> str:
        return self.name


class Mediation(OrgPathCopy, TimeStampedModel):
    """矛盾调解: one dispute mediated — who, where (乡贤评理室 …), how it ended.

    The parties' names are personal data: stored encrypted, shown masked (``张*、李**``).
    """

    class DisputeType(models.TextChoices):
        NEIGHBOUR = "neighbour", "邻里纠纷"
        FAMILY = "family", "婚姻家庭"
        SUPPORT = "support", "赡养抚养"
        LAND = "land", "土地承包"
        HOMESTEAD = "homestead", "宅基地"
        FOREST = "forest", "山林水利权属"
        DEBT = "debt", "劳资债务"
        DAMAGE = "damage", "损害赔偿"
        OTHER = "other", "其他"

    class Place(models.TextChoices):
        WORTHY_ROOM = "worthy_room", "乡贤评理室"
        COMMITTEE = "committee", "村（居）委会"
        SERVICE_CENTER = "service_center", "党群服务中心"
        ON_SITE = "on_site", "现场"
        OTHER = "other", "其他"

    class Outcome(models.TextChoices):
        SUCCESS = "success", "调解成功"
        FAILED = "failed", "调解未成功"
        REFERRED = "referred", "转交"

    org = models.ForeignKey(
        "orgs.Organization", verbose_name="所属党组织", on_delete=models.PROTECT, related_name="+"
    )
    grid = models.ForeignKey(
        Grid,
        verbose_name="网格",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="mediations",
    )
    mediated_on = models.DateField("调解日期")
    dispute_type = models.CharField("纠纷类型", max_length=20, choices=DisputeType.choices)
    parties_enc = models.TextField("当事人（密文）")
    parties_masked = models.CharField("当事人", max_length=200)
    summary = models.TextField("纠纷概要")
    place = models.CharField("调解地点", max_length=20, choices=Place.choices)
    place_detail = models.CharField("地点说明", max_length=100, blank=True)
    mediator_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name="调解人（工作人员）", blank=True, related_name="+"
    )
    mediator_members = models.ManyToManyField(
        "members.Member", verbose_name="调解人（党员）", blank=True, related_name="+"
    )
    worthies = models.ManyToManyField(
        LocalWorthy, verbose_name="参与乡贤", blank=True, related_name="mediations"
    )
    outcome = models.CharField("调解结果", max_length=16, choices=Outcome.choices)
    referred_to = models.CharField("转交单位", max_length=100, blank=True)
    agreement = models.TextField("调解协议", blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        db_table = "grid_mediation"
        verbose_name = verbose_name_plural = "矛盾调解"
        ordering = ["-mediated_on", "-id"]
        indexes = [
            models.Index(fields=["org_path", "mediated_on"], name="mediation_path_day"),
            models.Index(fields=["grid", "mediated_on"], name="mediation_grid_day"),
        ]

    def __str__(self) -> str:
        return f"{self.get_dispute_type_display()}（{self.mediated_on}）"
