from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from dangjian.core.models import OrgPathCopy, TimeStampedModel


class Transfer(OrgPathCopy, TimeStampedModel):
    """One 组织关系转接: a member's party relationship moving with a letter (介绍信) and its 回执.

    ``org_path`` copies the sending branch's path (the receiving branch's for an inbound letter
    from outside the system), so the sending side's scope is one range predicate.
    """

    class Kind(models.TextChoices):
        INTERNAL = "internal", "系统内"
        OUTBOUND = "outbound", "转出到系统外"
        INBOUND = "inbound", "从系统外转入"

    class State(models.TextChoices):
        REQUESTED = "requested", "已申请"
        APPROVED = "approved", "已审批"
        ACCEPTED = "accepted", "已接收"
        RETURNED = "returned", "退回"
        REVOKED = "revoked", "已撤销"
        EXPIRED = "expired", "已过期"

    number = models.CharField(
        "介绍信编号", max_length=24, unique=True, null=True, blank=True, default=None
    )
    kind = models.CharField("转接类型", max_length=16, choices=Kind.choices)
    member = models.ForeignKey(
        "members.Member",
        verbose_name="党员",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transfers",
    )
    # Snapshots for the letter and the lists: what was true when the letter was written.
    member_name = models.CharField("党员姓名", max_length=50)
    member_category = models.CharField("人员类别", max_length=16, blank=True)
    from_branch = models.ForeignKey(
        "orgs.Organization",
        verbose_name="转出党支部",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transfers_out",
    )
    to_branch = models.ForeignKey(
        "orgs.Organization",
        verbose_name="转入党支部",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transfers_in",
    )
    # The committee that signs the letter (the sending branch's upper committee).
    issuing_org = models.ForeignKey(
        "orgs.Organization",
        verbose_name="开具介绍信的党组织",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    external_unit = models.CharField("系统外党组织", max_length=100, blank=True)
    external_number = models.CharField("来信编号", max_length=40, blank=True)
    dues_paid_through = models.DateField("党费交至年月")  # always the 1st of the month
    issued_on = models.DateField("开具日期", null=True, blank=True)
    valid_until = models.DateField("有效期至", null=True, blank=True)
    reason = models.CharField("转接原因", max_length=200)
    state = models.CharField("状态", max_length=16, choices=State.choices, default=State.REQUESTED)

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="申请人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField("申请时间", null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审批人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_at = models.DateTimeField("审批时间", null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="接收人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    accepted_at = models.DateTimeField("接收时间", null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="退回/撤销人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    closed_at = models.DateTimeField("退回/撤销/过期时间", null=True, blank=True)
    closed_reason = models.CharField("退回/撤销原因", max_length=200, blank=True)

    # 回执: the receiving side confirms the relationship has arrived.
    received_on = models.DateField("回执日期", null=True, blank=True)
    receiver_name = models.CharField("回执经办人", max_length=50, blank=True)
    note = models.TextField("备注", blank=True)

    OPEN_STATES = (State.REQUESTED, State.APPROVED)

    class Meta:
        verbose_name = "组织关系转接"
        verbose_name_plural = "组织关系转接"
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["org_path", "id"], name="transfer_path_id"),
            models.Index(fields=["to_branch", "state"], name="transfer_to_state"),
            models.Index(fields=["state", "valid_until"], name="transfer_state_valid"),
            models.Index(fields=["requested_by", "id"], name="transfer_requester"),
        ]
        constraints = [
            # A member has at most one transfer in progress: two concurrent requests → one wins.
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(state__in=["requested", "approved"]),
                name="transfer_one_open_per_member",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="internal", from_branch__isnull=False, to_branch__isnull=False)
                    | Q(kind="outbound", from_branch__isnull=False, to_branch__isnull=True)
                    | Q(kind="inbound", from_branch__isnull=True, to_branch__isnull=False)
                ),
                name="transfer_branches_match_kind",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True)
                | Q(issued_on__isnull=True)
                | Q(valid_until__gte=models.F("issued_on")),
                name="transfer_valid_after_issue",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_number} {self.member_name}"

    @property
    def display_number(self) -> str:
        if self.number:
            return self.number
        if self.external_number:
            return f"来信 {self.external_number}"
        return "（未开具）"

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES

    @property
    def destination_name(self) -> str:
        if self.to_branch_id and self.to_branch is not None:
            return self.to_branch.name
        return self.external_unit

    @property
    def origin_name(self) -> str:
        if self.from_branch_id and self.from_branch is not None:
            return self.from_branch.name
        return self.external_unit


class TransferCounter(models.Model):
    """The last letter number handed out in a year; incremented under a row lock."""

    year = models.PositiveSmallIntegerField("年度", primary_key=True)
    last = models.PositiveIntegerField("已用编号", default=0)

    class Meta:
        verbose_name = "介绍信编号"
        verbose_name_plural = "介绍信编号"

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"
