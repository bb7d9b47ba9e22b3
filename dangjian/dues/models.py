"""党费: versioned rule data (rule sets and bands) and each member's dues profile history.

The numbers of the rules live in rows loaded by a data migration, never in ``if`` literals:
a later national revision or a province's override is a new rule set, not a code change.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from dangjian.core.models import OrgPathCopy, TimeStampedModel


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
    # The numbers of the collection rules (RULES §3, 党章第九条), versioned with the rates.
    backpay_months = models.PositiveSmallIntegerField("补交最长月数", default=6)
    lapse_months = models.PositiveSmallIntegerField("连续不交纳党费提醒月数", default=6)
    central_threshold = models.DecimalField(
        "一次性交纳全额上缴中央起点（元）", max_digits=10, decimal_places=2, default=1000
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


class DuesBranchSetting(OrgPathCopy):
    """A branch's collection mode: monthly unless the branch has agreed to quarterly
    (按季度交纳须经党支部同意, with the date and the meeting that agreed)."""

    class Mode(models.TextChoices):
        MONTHLY = "monthly", "按月交纳"
        QUARTERLY = "quarterly", "按季度交纳"

    branch = models.OneToOneField(
        "orgs.Organization",
        verbose_name="党支部",
        on_delete=models.CASCADE,
        related_name="dues_setting",
    )
    mode = models.CharField("交纳方式", max_length=10, choices=Mode.choices)
    agreed_on = models.DateField("支部同意日期", null=True, blank=True)
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "党费交纳方式"
        verbose_name_plural = "党费交纳方式"

    def __str__(self) -> str:
        return f"{self.branch_id} {self.mode}"


class DuesReduction(OrgPathCopy, TimeStampedModel):
    """A reduction or exemption: the member applies, the branch discusses, the upper 党委
    approves; in force for the months ``first_month``..``last_month`` once approved."""

    class Kind(models.TextChoices):
        REDUCE = "reduce", "减交"
        EXEMPT = "exempt", "免交"

    class State(models.TextChoices):
        APPLIED = "applied", "已申请，待支部讨论"
        DISCUSSED = "discussed", "支部已讨论，待上级党委审批"
        APPROVED = "approved", "已批准"
        REJECTED = "rejected", "未批准"

    member = models.ForeignKey(
        "members.Member", verbose_name="党员", on_delete=models.PROTECT, related_name="+"
    )
    branch = models.ForeignKey(
        "orgs.Organization", verbose_name="党支部", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    # What the member pays a month while reduced (0 for an exemption).
    monthly_amount = models.DecimalField("减交后每月交纳（元）", max_digits=8, decimal_places=2)
    first_month = models.DateField("起始月份")
    last_month = models.DateField("截止月份")
    reason = models.CharField("申请理由", max_length=300)
    state = models.CharField("状态", max_length=12, choices=State.choices, default="applied")
    applied_on = models.DateField("申请日期")
    discussed_on = models.DateField("支部讨论日期", null=True, blank=True)
    discussion = models.CharField("支部讨论意见", max_length=300, blank=True)
    decided_on = models.DateField("审批日期", null=True, blank=True)
    decision = models.CharField("审批意见", max_length=300, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审批人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "党费减免"
        verbose_name_plural = "党费减免"
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["org_path", "state"], name="duesreduction_path_state"),
            models.Index(fields=["member", "state"], name="duesreduction_member"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(last_month__gte=models.F("first_month")), name="duesreduction_period"
            ),
            models.CheckConstraint(
                condition=Q(monthly_amount__gte=0), name="duesreduction_amount_nonnegative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.kind} {self.first_month:%Y-%m}–{self.last_month:%Y-%m}"


class DuesBackPayApproval(OrgPathCopy, TimeStampedModel):
    """The upper 党委's approval for 补交 of months older than the back-payment limit."""

    member = models.ForeignKey(
        "members.Member", verbose_name="党员", on_delete=models.PROTECT, related_name="+"
    )
    first_month = models.DateField("起始月份")
    last_month = models.DateField("截止月份")
    reason = models.CharField("理由", max_length=300)
    approved_on = models.DateField("批准日期")
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="批准人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "超期补交批准"
        verbose_name_plural = "超期补交批准"
        ordering = ["-id"]
        indexes = [models.Index(fields=["member", "first_month"], name="duesbackpay_member")]
        constraints = [
            models.CheckConstraint(
                condition=Q(last_month__gte=models.F("first_month")), name="duesbackpay_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.first_month:%Y-%m}–{self.last_month:%Y-%m}"


class DuesMonth(OrgPathCopy):
    """One member's dues for one month: the amount owed (rules, profile and any reduction in
    force that month) and the amount paid towards it.

    The collection ledger of a branch for a month and every subtree summary are aggregates over
    these rows (``month`` equality + ``org_path`` range), so no page recomputes the rules.
    ``branch`` and ``org_path`` are where the member was when the month was opened: a later
    transfer leaves past months with the branch that collected them.
    """

    member = models.ForeignKey(
        "members.Member", verbose_name="党员", on_delete=models.PROTECT, related_name="+"
    )
    branch = models.ForeignKey(
        "orgs.Organization", verbose_name="党支部", on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField("月份")
    # The month by which it must be paid: the month itself, or the quarter's last month where
    # the branch collects quarterly.
    due_month = models.DateField("应交截止月份")
    category = models.CharField("党员类别", max_length=20, choices=PayerCategory.choices)
    monthly_base = models.DecimalField(
        "计算基数（元/月）", max_digits=12, decimal_places=2, null=True, blank=True
    )
    standard = models.DecimalField("按标准应交（元）", max_digits=10, decimal_places=2)
    expected = models.DecimalField("应交（元）", max_digits=10, decimal_places=2)
    paid = models.DecimalField("实交（元）", max_digits=10, decimal_places=2, default=0)
    last_paid_on = models.DateField("交纳日期", null=True, blank=True)
    reduction = models.ForeignKey(
        DuesReduction,
        verbose_name="减免",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "月度党费"
        verbose_name_plural = "月度党费"
        ordering = ["month", "org_path", "member_id"]
        indexes = [
            # Covers a month's subtree totals (owed and paid read from the index).
            models.Index(
                fields=["month", "org_path", "expected", "paid"], name="duesmonth_month_path"
            ),
            models.Index(fields=["branch", "month"], name="duesmonth_branch_month"),
            # Months not fully paid: arrears and the six-month alert read only these, and only
            # from the index (it carries every column they filter, group or sum on).
            models.Index(
                fields=["org_path", "month", "due_month", "member", "paid", "expected"],
                condition=Q(paid__lt=models.F("expected")),
                name="duesmonth_open_cover",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["member", "month"], name="duesmonth_unique"),
            models.CheckConstraint(condition=Q(paid__gte=0), name="duesmonth_paid_nonnegative"),
            models.CheckConstraint(
                condition=Q(expected__gte=0), name="duesmonth_expected_nonnegative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.month:%Y-%m} {self.paid}/{self.expected}"


class DuesPayment(OrgPathCopy):
    """One payment received from a member: regular dues for ``first_month``..``last_month``
    (allocated to those months in order) or a one-off voluntary payment (特殊/一次性党费)."""

    class Kind(models.TextChoices):
        REGULAR = "regular", "按月（季）交纳"
        ONE_OFF = "one_off", "一次性交纳"

    class Method(models.TextChoices):
        CASH = "cash", "现金"
        TRANSFER = "transfer", "银行转账"
        ONLINE = "online", "线上支付"

    member = models.ForeignKey(
        "members.Member", verbose_name="党员", on_delete=models.PROTECT, related_name="+"
    )
    branch = models.ForeignKey(
        "orgs.Organization", verbose_name="党支部", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField("类型", max_length=10, choices=Kind.choices, default="regular")
    method = models.CharField("交纳方式", max_length=10, choices=Method.choices)
    # A bank or online payment's reference; one payment per reference.
    reference = models.CharField("流水号", max_length=64, blank=True)
    amount = models.DecimalField("金额（元）", max_digits=10, decimal_places=2)
    paid_on = models.DateField("交纳日期")
    first_month = models.DateField("所属起始月份", null=True, blank=True)
    last_month = models.DateField("所属截止月份", null=True, blank=True)
    # A one-off payment of the threshold or more goes wholly to 中央 (全部上缴中央).
    to_central = models.BooleanField("全额上缴中央", default=False)
    backpay_approval = models.ForeignKey(
        DuesBackPayApproval,
        verbose_name="超期补交批准",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField("备注", max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="经手人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "党费交纳记录"
        verbose_name_plural = "党费交纳记录"
        ordering = ["-paid_on", "-id"]
        indexes = [
            models.Index(fields=["member", "paid_on"], name="duespayment_member"),
            models.Index(
                fields=["paid_on", "org_path"],
                condition=Q(kind="one_off"),
                name="duespayment_one_off",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["reference"], condition=~Q(reference=""), name="duespayment_unique_ref"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="duespayment_amount_positive"),
            models.CheckConstraint(
                condition=Q(kind="one_off")
                | Q(first_month__isnull=False, last_month__gte=models.F("first_month")),
                name="duespayment_regular_months",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.paid_on} {self.amount}"
