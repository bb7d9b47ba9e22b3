"""Grids (网格) under villages and communities; households and member links build on them."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from dangjian.core.models import OrgPathCopy, TimeStampedModel


class Grid(OrgPathCopy, TimeStampedModel):
    """A 网格: a named area of a village or community, looked after by its grid workers.

    ``org`` is the village's or community's party organization; ``org_path`` copies its path so
    every subtree list (a township's grids, a county's requests) is one range predicate.
    """

    org = models.ForeignKey(
        "orgs.Organization",
        verbose_name="所属党组织",
        on_delete=models.PROTECT,
        related_name="grids",
    )
    name = models.CharField("网格名称", max_length=60)
    area_description = models.TextField("网格范围", blank=True)
    workers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name="网格员", blank=True, related_name="grids"
    )
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "网格"
        ordering = ["org_path", "name"]
        constraints = [
            models.UniqueConstraint(fields=["org", "name"], name="grid_unique_name_in_org"),
        ]
        indexes = [models.Index(fields=["org_path"], name="grid_org_path")]

    def __str__(self) -> str:
        return self.name


class GridRuleSet(TimeStampedModel):
    """The numbers of grid work as versioned data with their source, national or a local override.

    ``scope`` empty = the default; a path = an override for that subtree. The most specific set
    in force on a day wins (``rules.grid_rules_for``).
    """

    class Tag(models.TextChoices):
        REG = "reg", "法规"
        LOCAL = "local", "地方做法"
        VERIFY = "verify", "待核实（可配置）"

    name = models.CharField("名称", max_length=100)
    version = models.CharField("版本", max_length=20)
    source = models.TextField("依据")
    tag = models.CharField("依据类型", max_length=10, choices=Tag.choices, default=Tag.LOCAL)
    scope = models.ForeignKey(
        "orgs.Organization",
        verbose_name="适用范围",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    effective_from = models.DateField("生效日期")
    effective_to = models.DateField("失效日期", null=True, blank=True)
    links_per_member_max = models.PositiveSmallIntegerField("每名党员联系户数上限")
    households_per_anchor_max = models.PositiveSmallIntegerField("每个党员中心户联系户数上限")
    opinion_reply_days = models.PositiveSmallIntegerField("村情民意办结答复时限（天）")

    class Meta:
        verbose_name = verbose_name_plural = "网格工作规则"
        ordering = ["-effective_from", "id"]

    def __str__(self) -> str:
        return f"{self.name}（{self.version}）"


class HouseholdTag(models.Model):
    """A code-table entry for households (独居老人, 低保, 残疾 …), loaded by a data migration."""

    code = models.CharField("代码", max_length=30, unique=True)
    label = models.CharField("名称", max_length=30)
    # Households that need a visit more often (独居老人, 特困 …) are shown first to grid workers.
    needs_care = models.BooleanField("重点关爱", default=False)
    sort = models.PositiveSmallIntegerField("排序", default=0)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "住户标签"
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.label


class Household(OrgPathCopy, TimeStampedModel):
    """A household (住户) in a grid. The head's phone and ID number are personal data:
    encrypted, looked up by keyed hash, masked for display; revealing them is audited."""

    grid = models.ForeignKey(
        Grid, verbose_name="网格", on_delete=models.PROTECT, related_name="households"
    )
    org = models.ForeignKey(
        "orgs.Organization", verbose_name="所属党组织", on_delete=models.PROTECT, related_name="+"
    )
    address = models.CharField("住址", max_length=200)
    head_name = models.CharField("户主姓名", max_length=50)
    head_id_enc = models.TextField("户主身份证号（密文）", blank=True)
    head_id_hash = models.CharField("户主身份证号（检索摘要）", max_length=64, blank=True)
    head_id_masked = models.CharField("户主身份证号", max_length=18, blank=True)
    phone_enc = models.TextField("联系电话（密文）", blank=True)
    phone_hash = models.CharField("联系电话（检索摘要）", max_length=64, blank=True)
    phone_masked = models.CharField("联系电话", max_length=20, blank=True)
    size = models.PositiveSmallIntegerField("家庭人口")
    tags = models.ManyToManyField(HouseholdTag, verbose_name="标签", blank=True, related_name="+")
    note = models.CharField("备注", max_length=200, blank=True)
    is_active = models.BooleanField("在册", default=True)
    # Derived from the tags by the household services (a tag with needs_care), so counting
    # 重点关爱 households over a county is an index range, not a join.
    needs_care = models.BooleanField("重点关爱", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "住户"
        ordering = ["org_path", "grid_id", "id"]
        indexes = [
            models.Index(fields=["org_path", "id"], name="household_path_id"),
            # Subtree counts (households, 重点关爱) read only the index (PERF.md T1).
            models.Index(
                fields=["org_path", "is_active", "needs_care"], name="household_path_care"
            ),
            models.Index(fields=["grid", "id"], name="household_grid_id"),
            models.Index(fields=["phone_hash"], name="household_phone_hash"),
            models.Index(fields=["head_id_hash"], name="household_id_hash"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(size__gte=1), name="household_size_positive")
        ]

    def __str__(self) -> str:
        return f"{self.address}（{self.head_name}）"


class AnchorHousehold(OrgPathCopy, TimeStampedModel):
    """A 党员中心户: a member's household that looks after a set of neighbouring households."""

    grid = models.ForeignKey(
        Grid, verbose_name="网格", on_delete=models.PROTECT, related_name="anchors"
    )
    member = models.ForeignKey(
        "members.Member", verbose_name="中心户党员", on_delete=models.PROTECT, related_name="+"
    )
    household = models.ForeignKey(
        Household,
        verbose_name="中心户住户",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    started_on = models.DateField("设立日期")
    ended_on = models.DateField("撤销日期", null=True, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "党员中心户"
        ordering = ["org_path", "grid_id", "id"]
        indexes = [models.Index(fields=["org_path", "id"], name="anchor_path_id")]
        constraints = [
            # One standing 中心户 per member; history rows keep their end date.
            models.UniqueConstraint(
                fields=["member"],
                condition=models.Q(ended_on__isnull=True),
                name="anchor_one_active_per_member",
            )
        ]

    def __str__(self) -> str:
        return f"党员中心户 #{self.pk}"


class HouseholdLink(OrgPathCopy, TimeStampedModel):
    """A 党员联户 link: a member looks after a household (through a 中心户 or directly)."""

    member = models.ForeignKey(
        "members.Member", verbose_name="联户党员", on_delete=models.PROTECT, related_name="+"
    )
    household = models.ForeignKey(
        Household, verbose_name="住户", on_delete=models.CASCADE, related_name="links"
    )
    anchor = models.ForeignKey(
        AnchorHousehold,
        verbose_name="所属党员中心户",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="links",
    )
    started_on = models.DateField("联系开始日期")
    ended_on = models.DateField("结束日期", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "党员联户"
        ordering = ["org_path", "id"]
        indexes = [
            models.Index(fields=["org_path", "id"], name="hlink_path_id"),
            models.Index(fields=["member", "ended_on"], name="hlink_member"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "household"],
                condition=models.Q(ended_on__isnull=True),
                name="hlink_one_active_pair",
            )
        ]

    def __str__(self) -> str:
        return f"联户 #{self.pk}"
