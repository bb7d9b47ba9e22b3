"""党费: versioned rule data (rule sets and bands) and each member's dues profile history.

The numbers of the rules live in rows loaded by a data migration, never in ``if`` literals:
a later national revision or a province's override is a new rule set, not a code change.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class PayerCategory(models.TextChoices):
    SALARIED = "salaried", "在职（工资收入）"
    ANNUAL_SALARY = "annual_salary", "年薪制"
    SELF_EMPLOYED = "self_employed", "个体经营等"
    RETIRED = "retired", "离退休"
    FARMER = "farmer", "农民"
    STUDENT = "student", "学生"
    UNEMPLOYED = "unemployed", "下岗失业"
    RELIEF = "relief", "领取救济或低保"
    OTHER = "other", "其他"


class DuesRuleSet(models.Model):
    """One version of the dues rules, national (``scope`` empty) or a province's override."""

    name = models.CharField("名称", max_length=100)
    version = models.CharField("版本", max_length=30)
    source = models.TextField("依据")
    effective_from = models.DateField("生效日期")
    effective_to = models.DateField("失效日期", null=True, blank=True)
    scope = models.ForeignKey(
        "orgs.Organization",
        verbose_name="适用范围（省级覆盖）",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = "党费规则"
        verbose_name_plural = "党费规则"
        ordering = ["-effective_from", "id"]
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="duesruleset_unique"),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True)
                | Q(effective_to__gte=models.F("effective_from")),
                name="duesruleset_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.version}）"


class DuesBand(models.Model):
    """One band of one category: a rate on the base up to ``upper_bound`` (inclusive), or a
    fixed monthly amount. Bands of a category are tried in ``sort`` order."""

    rule_set = models.ForeignKey(
        DuesRuleSet, verbose_name="规则", on_delete=models.CASCADE, related_name="bands"
    )
    category = models.CharField("党员类别", max_length=20, choices=PayerCategory.choices)
    upper_bound = models.DecimalField(
        "上限（含，元/月）", max_digits=12, decimal_places=2, null=True, blank=True
    )
    rate = models.DecimalField("比例", max_digits=6, decimal_places=4, null=True, blank=True)
    fixed_amount = models.DecimalField(
        "固定金额（元/月）", max_digits=8, decimal_places=2, null=True, blank=True
    )
    sort = models.PositiveSmallIntegerField("排序", default=0)
    # "[local]" marks an amount the province sets (农民党员 0.2–1 元); the note says the range.
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "党费档次"
        verbose_name_plural = "党费档次"
        ordering = ["rule_set_id", "category", "sort"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rate__isnull=False, fixed_amount__isnull=True)
                | Q(rate__isnull=True, fixed_amount__isnull=False),
                name="duesband_rate_xor_fixed",
            ),
            models.UniqueConstraint(
                fields=["rule_set", "category", "sort"], name="duesband_unique_sort"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category} ≤{self.upper_bound}: {self.rate or self.fixed_amount}"


class DuesProfile(models.Model):
    """What a member pays on from a month on: one row per change, never edited in place.

    The profile in force for a month is the latest row whose ``effective_month`` is not after it
    (the highest id wins when a month was corrected).
    """

    member = models.ForeignKey(
        "members.Member",
        verbose_name="党员",
        on_delete=models.PROTECT,
        related_name="dues_profiles",
    )
    category = models.CharField("党员类别", max_length=20, choices=PayerCategory.choices)
    monthly_base = models.DecimalField(
        "计算基数（元/月）", max_digits=12, decimal_places=2, null=True, blank=True
    )
    base_kind = models.CharField("基数类型", max_length=30, blank=True)
    effective_month = models.DateField("起始月份")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "党费基数"
        verbose_name_plural = "党费基数"
        ordering = ["member_id", "-effective_month", "-id"]
        indexes = [
            models.Index(fields=["member", "effective_month"], name="duesprofile_member_month")
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.effective_month:%Y-%m} {self.category}"
