from __future__ import annotations

from django.db import models

from dangjian.core.models import TimeStampedModel
from dangjian.core.paths import PathField


class Organization(TimeStampedModel):
    """A node of the party organization tree, from the county committee down to 党小组."""

    class Type(models.TextChoices):
        LOCAL_COMMITTEE = "local_committee", "地方党委"
        WORKING_COMMITTEE = "working_committee", "党工委"
        COMMITTEE = "committee", "党委"
        SECONDARY_COMMITTEE = "secondary_committee", "二级党委"
        GENERAL_BRANCH = "general_branch", "党总支"
        BRANCH = "branch", "党支部"
        JOINT_BRANCH = "joint_branch", "联合党支部"
        TEMPORARY_BRANCH = "temporary_branch", "临时党支部"
        GROUP = "group", "党小组"

    class Sector(models.TextChoices):
        PARTY_COMMITTEE = "party_committee", "党委机关"
        TOWNSHIP = "township", "乡镇"
        SUBDISTRICT = "subdistrict", "街道"
        RURAL = "rural", "农村"
        COMMUNITY = "community", "社区"
        ORGAN = "organ", "机关"
        INSTITUTION = "institution", "事业单位"
        SOE = "soe", "国有企业"
        PRIVATE_ENTERPRISE = "private_enterprise", "非公有制企业"
        SOCIAL_ORG = "social_org", "社会组织"
        SCHOOL = "school", "学校"
        HOSPITAL = "hospital", "医院"
        OTHER = "other", "其他"

    name = models.CharField("组织名称", max_length=100)
    short_name = models.CharField("简称", max_length=50, blank=True)
    code = models.CharField("组织代码", max_length=32, unique=True)
    org_type = models.CharField("组织类别", max_length=32, choices=Type.choices)
    sector = models.CharField("所在领域", max_length=32, choices=Sector.choices)
    is_retiree = models.BooleanField("离退休党组织", default=False)
    is_mobile = models.BooleanField("流动党员党组织", default=False)

    parent = models.ForeignKey(
        "self",
        verbose_name="上级组织",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # Derived from ``parent`` and maintained only by the services in orgs.services.
    path = PathField("路径")
    depth = models.PositiveSmallIntegerField("层级")
    ancestor_ids = models.JSONField("各级上级组织", default=list, blank=True)
    # The highest child segment ever handed out: a moved-away child's path is never reused,
    # so rows whose copied path is rewritten in the background cannot land on a stranger.
    last_child_number = models.PositiveIntegerField("已分配下级序号", default=0)

    established_on = models.DateField("成立日期", null=True, blank=True)
    unit_name = models.CharField("所在单位", max_length=100, blank=True)
    unit_credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True)
    address = models.CharField("地址", max_length=200, blank=True)
    phone = models.CharField("联系电话", max_length=30, blank=True)
    term_start = models.DateField("本届任期开始", null=True, blank=True)
    term_end = models.DateField("本届任期届满", null=True, blank=True)
    dissolved_on = models.DateField("撤销日期", null=True, blank=True)

    class Meta:
        verbose_name = "党组织"
        verbose_name_plural = "党组织"
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["path"], name="org_path_unique"),
            models.CheckConstraint(
                condition=models.Q(term_end__isnull=True)
                | models.Q(term_start__isnull=True)
                | models.Q(term_end__gt=models.F("term_start")),
                name="org_term_end_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["org_type", "path"], name="org_type_path"),
            models.Index(fields=["depth", "path"], name="org_depth_path"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        return self.short_name or self.name

    @property
    def is_branch_level(self) -> bool:
        return self.org_type in BRANCH_TYPES

    @property
    def type_code(self) -> str:
        """The 党统 organization category code, where one exists."""
        return DANGTONG_TYPE_CODES.get(self.org_type, "")


BRANCH_TYPES = frozenset(
    {
        Organization.Type.BRANCH,
        Organization.Type.JOINT_BRANCH,
        Organization.Type.TEMPORARY_BRANCH,
    }
)

# 组织类别 codes of the 党内统计 (RULES.md §7); types without a national code map to "".
DANGTONG_TYPE_CODES: dict[str, str] = {
    Organization.Type.COMMITTEE: "611",
    Organization.Type.GENERAL_BRANCH: "621",
    Organization.Type.BRANCH: "631",
    Organization.Type.JOINT_BRANCH: "632",
    Organization.Type.SECONDARY_COMMITTEE: "641",
    Organization.Type.GROUP: "711",
}


class OrgLink(TimeStampedModel):
    """A joint arrangement between organizations: 联村党委, 跨村联建, 联合党支部 units."""

    class Kind(models.TextChoices):
        JOINT_COMMITTEE = "joint_committee", "联村党委"
        ALLIANCE = "alliance", "跨村联建"
        JOINT_BRANCH_UNIT = "joint_branch_unit", "联合党支部覆盖单位"
        PAIRING = "pairing", "结对共建"

    kind = models.CharField("类型", max_length=32, choices=Kind.choices)
    lead = models.ForeignKey(
        Organization, verbose_name="牵头组织", on_delete=models.CASCADE, related_name="links_led"
    )
    partner = models.ForeignKey(
        Organization,
        verbose_name="参与组织",
        on_delete=models.CASCADE,
        related_name="links_joined",
    )
    started_on = models.DateField("开始日期")
    ended_on = models.DateField("结束日期", null=True, blank=True)
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "联建关系"
        verbose_name_plural = "联建关系"
        ordering = ["lead_id", "partner_id", "started_on"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(lead=models.F("partner")), name="orglink_not_self"
            ),
            models.UniqueConstraint(
                fields=["kind", "lead", "partner", "started_on"], name="orglink_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.lead_id}→{self.partner_id}"
