"""发展党员: versioned rule sets, applicants on the 25-step pipeline, step records, the annual
development plan and the Word templates of the documents the pipeline produces."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from dangjian.core.models import OrgPathCopy, TimeStampedModel
from dangjian.core.paths import PathField


class Stage(models.TextChoices):
    """The five stages of 《中国共产党发展党员工作细则》 (chapters 二 to 六)."""

    APPLICANT = "applicant", "入党申请人"
    ACTIVIST = "activist", "入党积极分子"
    CANDIDATE = "candidate", "发展对象"
    ADMISSION = "admission", "预备党员接收"
    PROBATION = "probation", "预备党员考察和转正"


class RuleSet(TimeStampedModel):
    """One version of the recruitment rules (the 2014 细则 now; a revision is a new row).

    An applicant keeps the rule set in force on the day they applied unless moved deliberately.
    """

    name = models.CharField("名称", max_length=100)
    version = models.CharField("版本", max_length=20)
    source = models.TextField("依据")
    effective_from = models.DateField("生效日期")
    effective_to = models.DateField("失效日期", null=True, blank=True)

    class Meta:
        verbose_name = "发展党员规则集"
        verbose_name_plural = "发展党员规则集"
        ordering = ["-effective_from", "id"]
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="recruit_ruleset_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.version}）"


class StepDef(models.Model):
    """One of the 25 steps of a rule set: its number, stage, name and the article it rests on."""

    rule_set = models.ForeignKey(
        RuleSet, verbose_name="规则集", on_delete=models.CASCADE, related_name="steps"
    )
    number = models.PositiveSmallIntegerField("步骤序号")
    code = models.CharField("代码", max_length=32)
    name = models.CharField("步骤名称", max_length=50)
    stage = models.CharField("阶段", max_length=16, choices=Stage.choices)
    article = models.CharField("条款", max_length=50, blank=True)
    requirement = models.CharField("要求", max_length=300, blank=True)
    needs_upper = models.BooleanField("由上级党委办理", default=False)
    repeatable = models.BooleanField("可多次登记", default=False)

    class Meta:
        verbose_name = "发展党员步骤"
        verbose_name_plural = "发展党员步骤"
        ordering = ["rule_set_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["rule_set", "number"], name="recruit_step_unique"),
            models.UniqueConstraint(fields=["rule_set", "code"], name="recruit_step_code_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.name}"


class Limit(models.Model):
    """A number of the rules (18 周岁, 1 个月, 5 个工作日 …) with its article and nature."""

    class Tag(models.TextChoices):
        REG = "reg", "规定"
        LOCAL = "local", "地方做法"
        VERIFY = "verify", "待核实"

    rule_set = models.ForeignKey(
        RuleSet, verbose_name="规则集", on_delete=models.CASCADE, related_name="limits"
    )
    key = models.CharField("键", max_length=40)
    value = models.PositiveIntegerField("数值")
    unit = models.CharField("单位", max_length=10)
    label = models.CharField("规则", max_length=100)
    article = models.CharField("条款", max_length=50)
    tag = models.CharField("性质", max_length=10, choices=Tag.choices, default=Tag.REG)

    class Meta:
        verbose_name = "发展党员时间规则"
        verbose_name_plural = "发展党员时间规则"
        ordering = ["rule_set_id", "key"]
        constraints = [
            models.UniqueConstraint(fields=["rule_set", "key"], name="recruit_limit_unique")
        ]

    def __str__(self) -> str:
        return f"{self.label}：{self.value}{self.unit}"


class Applicant(OrgPathCopy, TimeStampedModel):
    """One person on the way from 入党申请 to 正式党员, in one branch.

    The denormalized columns (``stage``, ``next_step``, ``due_on``, ``next_earliest_on``,
    ``admitted_on``) are rewritten by every step service, so boards and alerts are plain
    indexed queries.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", "培养中"
        FULL = "full", "已转正"
        CANCELLED = "cancelled", "取消预备党员资格"
        STOPPED = "stopped", "终止培养"

    org = models.ForeignKey(
        "orgs.Organization",
        verbose_name="党支部",
        on_delete=models.PROTECT,
        related_name="applicants",
    )
    rule_set = models.ForeignKey(RuleSet, verbose_name="适用规则", on_delete=models.PROTECT)
    name = models.CharField("姓名", max_length=50)
    sex = models.CharField("性别", max_length=2)
    ethnicity = models.CharField("民族", max_length=2, default="01")
    birth_date = models.DateField("出生日期")
    id_number_enc = models.TextField("公民身份号码（密文）")
    id_number_hash = models.CharField("公民身份号码（检索摘要）", max_length=64)
    id_number_masked = models.CharField("公民身份号码", max_length=18)
    mobile_enc = models.TextField("联系电话（密文）", blank=True)
    mobile_masked = models.CharField("联系电话", max_length=20, blank=True)
    education = models.CharField("学历", max_length=4)
    job = models.CharField("工作岗位", max_length=6)
    unit = models.CharField("工作单位及职务", max_length=100, blank=True)
    address = models.CharField("家庭住址", max_length=200, blank=True)
    is_farmer = models.BooleanField("农民（计划单列）", default=False)

    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.ACTIVE)
    stage = models.CharField("阶段", max_length=16, choices=Stage.choices, default=Stage.APPLICANT)
    last_step = models.PositiveSmallIntegerField("已完成步骤", default=0)
    last_step_on = models.DateField("最近步骤日期", null=True, blank=True)
    next_step = models.PositiveSmallIntegerField("下一步骤", null=True, blank=True)
    next_earliest_on = models.DateField("下一步最早日期", null=True, blank=True)
    due_on = models.DateField("办理期限", null=True, blank=True)
    due_label = models.CharField("期限事项", max_length=100, blank=True)
    applied_on = models.DateField("申请日期")
    talked_on = models.DateField("谈话日期", null=True, blank=True)
    admitted_on = models.DateField("接收为预备党员日期（支部大会）", null=True, blank=True)
    probation_ends_on = models.DateField("预备期满日期", null=True, blank=True)
    extended = models.BooleanField("已延长预备期", default=False)
    full_on = models.DateField("转为正式党员日期", null=True, blank=True)
    # The latest 支部大会 vote on the step due next that did not pass (cleared by a vote that
    # passes), so boards and overviews show it without reading the step records.
    vote_failed_on = models.DateField("支部大会表决未通过日期", null=True, blank=True)
    member = models.OneToOneField(
        "members.Member",
        verbose_name="党员记录",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="recruitment",
    )
    stop_reason = models.CharField("终止原因", max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "入党申请人"
        verbose_name_plural = "入党申请人"
        ordering = ["org_path", "id"]
        indexes = [
            models.Index(fields=["org_path", "status", "stage"], name="applicant_path_stage"),
            models.Index(fields=["status", "due_on"], name="applicant_due"),
            models.Index(fields=["org", "admitted_on"], name="applicant_admitted"),
            models.Index(fields=["id_number_hash"], name="applicant_id_hash"),
        ]
        constraints = [
            # One open file per person: a person stopped earlier may apply again later.
            models.UniqueConstraint(
                fields=["id_number_hash"],
                condition=Q(status="active"),
                name="applicant_unique_active_id",
            )
        ]

    def __str__(self) -> str:
        return self.name


class StepRecord(OrgPathCopy, TimeStampedModel):
    """One step done for one applicant: date, people, notes and the step's figures.

    ``data`` holds the figures of the step (the 支部大会 vote, the 公示 start, the training
    days and hours, the 志愿书 number, an outcome and its reason …), validated by the service.
    ``round`` is 2 for the conversion steps after a 预备期 extension. A 支部大会 vote that was
    quorate but did not pass is a record too (``failed``): the meeting happened, the step is
    not done, and the branch may vote again — so only the passed record is unique per round.
    """

    applicant = models.ForeignKey(
        Applicant, verbose_name="申请人", on_delete=models.CASCADE, related_name="steps"
    )
    number = models.PositiveSmallIntegerField("步骤序号")
    round = models.PositiveSmallIntegerField("轮次", default=1)
    done_on = models.DateField("日期")
    people = models.ManyToManyField(
        "members.Member", verbose_name="相关党员", blank=True, related_name="recruitment_roles"
    )
    people_names = models.CharField("参与人员", max_length=200, blank=True)
    note = models.TextField("情况记录", blank=True)
    data = models.JSONField("数据", default=dict, blank=True)
    is_late = models.BooleanField("超过期限办理", default=False)
    failed = models.BooleanField("表决未通过", default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "发展步骤记录"
        verbose_name_plural = "发展步骤记录"
        ordering = ["applicant_id", "number", "round", "done_on", "id"]
        indexes = [
            models.Index(fields=["applicant", "number"], name="steprecord_applicant"),
            models.Index(fields=["org_path", "number", "done_on"], name="steprecord_path"),
        ]
        constraints = [
            # The 培养教育考察 (6) and 继续教育考察 (21) are recorded again and again; every
            # other step once per round, besides any 支部大会 votes that did not pass.
            models.UniqueConstraint(
                fields=["applicant", "number", "round"],
                condition=~Q(number__in=[6, 21]) & Q(failed=False),
                name="steprecord_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.applicant_id}#{self.number}"


class DevelopmentPlan(OrgPathCopy, TimeStampedModel):
    """年度发展党员计划 of one organization, farmers counted separately (计划单列)."""

    org = models.ForeignKey(
        "orgs.Organization",
        verbose_name="党组织",
        on_delete=models.CASCADE,
        related_name="development_plans",
    )
    year = models.PositiveSmallIntegerField("年度")
    quota = models.PositiveIntegerField("计划发展人数")
    farmer_quota = models.PositiveIntegerField("其中农民党员（单列）", default=0)
    note = models.CharField("说明", max_length=300, blank=True)

    class Meta:
        verbose_name = "年度发展党员计划"
        verbose_name_plural = "年度发展党员计划"
        ordering = ["org_path", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["org", "year"], name="devplan_unique_year"),
            models.CheckConstraint(
                condition=Q(farmer_quota__lte=models.F("quota")), name="devplan_farmers_in_quota"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.org_id} {self.year}"


class DocumentKind(models.TextChoices):
    NOTICE = "notice", "发展对象公示"
    TALK = "talk", "谈话记录"
    REVIEW = "review", "政治审查表"
    CONVERSION = "conversion", "预备党员转正通知"


class DocumentTemplate(TimeStampedModel):
    """An uploaded replacement of a default Word template, versioned per kind and scope.

    The most specific active template on the applicant's path wins; with none, the default
    shipped in ``recruitment/doc_templates`` is used.
    """

    kind = models.CharField("文书", max_length=16, choices=DocumentKind.choices)
    scope = models.ForeignKey(
        "orgs.Organization",
        verbose_name="适用范围",
        on_delete=models.CASCADE,
        related_name="recruitment_templates",
    )
    scope_path = PathField("范围路径")
    version = models.PositiveIntegerField("版本")
    file = models.FileField("模板文件", upload_to="recruitment/templates/%Y/")
    is_active = models.BooleanField("启用", default=True)
    note = models.CharField("说明", max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上传人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "文书模板"
        verbose_name_plural = "文书模板"
        ordering = ["kind", "scope_path", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "scope", "version"], name="doctemplate_unique_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.version}"


class StepFile(OrgPathCopy, TimeStampedModel):
    """A scan or photo filed with a step (申请书, 思想汇报, 志愿书 …): re-encoded images or PDFs,
    served only through the applicant's access gate."""

    record = models.ForeignKey(
        StepRecord, verbose_name="步骤记录", on_delete=models.CASCADE, related_name="files"
    )
    file = models.FileField("文件", upload_to="recruitment/files/%Y/%m/")
    caption = models.CharField("说明", max_length=100, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上传人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "步骤材料"
        verbose_name_plural = "步骤材料"
        ordering = ["record_id", "id"]

    def __str__(self) -> str:
        return self.caption or str(self.file.name or "")
