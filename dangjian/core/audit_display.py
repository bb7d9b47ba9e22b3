"""The audit log as people read it: Chinese action names, field labels and values.

The log itself stores machine names (``request.escalate``, ``{"state": ["claimed",
"escalated"]}``) so it can be filtered and exported; this module turns a page of rows into
"升级督办 · 状态：已领单 → 已升级督办". ``ACTION_LABELS`` must name every action a service writes
(``core/tests/test_audit_display.py`` reads the services' source to check); field labels come
from the models' ``verbose_name``, values from the fields' choices, a registered code table
(``register_value_labels``), or their type (dates in Chinese, 是/否, 空).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone

from dangjian.core.models import AuditLog

ACTION_LABELS: dict[str, str] = {
    # accounts and core
    "user.create": "新建用户",
    "grant.create": "授予角色",
    "grant.end": "终止角色",
    "token.create": "新建 API 令牌",
    "token.revoke": "吊销 API 令牌",
    "token.create_refused": "新建 API 令牌被拒绝",
    "user.password_change": "修改密码",
    "calendar.set": "维护节假日",
    "calendar.delete": "删除节假日",
    "blocklist.add": "加入黑名单",
    "blocklist.lift": "解除黑名单",
    # organizations
    "org.create": "新建组织",
    "org.update": "修改组织",
    "org.move": "调整隶属关系",
    "org.dissolve": "撤销组织",
    "org.link": "建立联建关系",
    "org.link_end": "结束联建关系",
    # members
    "member.create": "新增党员",
    "member.update": "修改党员信息",
    "member.import": "批量导入党员",
    "member.reveal": "查看党员敏感信息",
    "member.export_reveal": "导出党员完整信息",
    "member.dossier": "登记党员档案材料",
    "member.dossier_requirement": "维护档案材料目录",
    "member.transfer_in": "接收转入党员",
    "member.admitted": "录入党员",
    "member.updated": "党员信息变更",
    "member.category": "转为正式党员",
    "member.placement": "调整党员所在组织",
    "member.standing": "党籍状态变化",
    "member.lost_contact": "登记失联党员",
    "member.contact_restored": "恢复与党组织联系",
    "member.mobile": "登记流动党员",
    "member.mobile_end": "结束外出流动",
    "member.retired": "登记离退休",
    "member.checkin": "到社区报到",
    "member.transfer_out": "组织关系转出",
    "member.left": "党员减少（转入历史库）",
    "member.restored": "恢复党籍",
    "member.review": "民主评议处置",
    "member.revealed": "查看敏感信息",
    "member.id_lookup": "按身份证号查询党员",
    "member.id_lookup_refused": "按身份证号查询被暂停",
    "member.id_probe_flagged": "疑似逐一试探身份证号",
    "member.id_probe_refused": "身份证号核对被暂停",
    # transfers
    "transfer.request": "申请组织关系转接",
    "transfer.approve": "审批组织关系转接",
    "transfer.accept": "接收组织关系",
    "transfer.return": "退回组织关系转接",
    "transfer.revoke": "撤回组织关系转接",
    "transfer.expire": "转接介绍信过期",
    "transfer.in_external": "登记系统外转入",
    "transfer.letter_reveal": "查看介绍信",
    # meetings and reviews
    "meeting.create": "登记会议",
    "meeting.update": "修改会议记录",
    "meeting.attendance": "登记出席情况",
    "meeting.attendance_bulk": "批量登记出席情况",
    "meeting.plan": "预告会议",
    "meeting.reschedule": "会议改期",
    "meeting.cancel": "取消会议",
    "meeting.record": "登记已召开的预告会议",
    "meeting.checkin": "会议签到",
    "meeting.files_add": "上传会议材料",
    "meeting.submit": "提交会议审核",
    "meeting.approve": "审核通过会议",
    "meeting.return": "退回会议记录",
    "meeting_plan.save": "保存组织生活计划",
    "review.record": "登记民主评议结果",
    "review.update": "修改民主评议结果",
    "review.handle": "处置民主评议结果",
    "opinion.record": "登记群众意见",
    "opinion.handle": "处理群众意见",
    # findings
    "finding.create": "登记问题",
    "finding.responsibility_add": "添加整改责任",
    "finding.remedy_add": "添加整改措施",
    "finding.remedy_done": "整改措施完成",
    "finding.start": "开始整改",
    "finding.rectify": "提交整改完成",
    "finding.close": "验收销号",
    "finding.reopen": "验收不通过，重新整改",
    # recruitment
    "recruit.create": "登记入党申请人",
    "recruit.step": "登记发展步骤",
    "recruit.vote_failed": "支部大会表决未通过",
    "recruit.stop": "终止发展",
    "recruit.file": "上传发展材料",
    "recruit.plan": "制定发展计划",
    "recruit.rule_set": "修改发展党员规则",
    "recruit.document": "生成发展文书",
    "recruit.template": "上传文书模板",
    "recruit.template_activate": "启用文书模板",
    # points
    "points.award": "登记积分",
    "points.award_auto": "自动记分",
    "points.reverse": "冲销积分",
    "points.claim_submit": "申报积分",
    "points.claim_decide": "审核积分申报",
    "points.commitment_set": "登记承诺事项",
    "points.period_close": "积分结账",
    "points.scheme_create": "新建积分方案",
    "points.scheme_update": "修改积分方案",
    "points.item_create": "新增积分项目",
    "points.item_update": "修改积分项目",
    "points.star_review_start": "启动星级评定",
    "points.star_rating_adjust": "调整评定星级",
    "points.star_review_publish": "公示星级评定",
    "points.star_review_withdraw": "撤回星级公示",
    "points.star_review_final": "确定星级评定结果",
    # dues
    "dues.profile_set": "核定党费基数",
    "dues.ledger_generate": "生成党费台账",
    "dues.payment_record": "登记党费交纳",
    "dues.backpay_approve": "批准补交党费",
    "dues.reduction_apply": "申请减免党费",
    "dues.reduction_discuss": "支部讨论减免党费",
    "dues.reduction_decide": "审批减免党费",
    "dues.branch_mode_set": "设置支部收缴方式",
    # grid
    "grid.create": "新建网格",
    "grid.update": "修改网格",
    "household.create": "新增住户",
    "household.update": "修改住户",
    "household.import": "批量导入住户",
    "household.export": "导出住户",
    "household.reveal": "查看住户联系电话",
    "household.link": "党员联系住户",
    "household.unlink": "结束联系住户",
    "anchor.create": "设立党员中心户",
    "anchor.end": "撤销党员中心户",
    "worthy.create": "登记乡贤能人",
    "worthy.update": "修改乡贤能人",
    "worthy.reveal": "查看乡贤能人联系电话",
    "mediation.record": "登记矛盾调解",
    "mediation.reveal": "查看调解当事人信息",
    # service requests (the five-order loop)
    "request.submit": "群众点单",
    "request.claim": "领单",
    "request.release": "退回待领",
    "request.dispatch": "派单",
    "request.start": "开始办理",
    "request.wait": "请群众补充",
    "request.resume": "恢复办理",
    "request.report": "晒单",
    "request.rate": "群众评单",
    "request.reopen": "不满意重办",
    "request.reopen_by_staff": "重新办理",
    "request.close": "结单",
    "request.sms_opt_out": "群众退订短信提醒",
    "request.sms_resume": "群众恢复短信提醒",
    "request.close_unresolved": "未解决关闭",
    "request.escalate": "升级督办",
    "request.transfer": "转办",
    "request.recategorize": "调整诉求类别",
}
OTHER_ACTION = "其他操作"

# The audit page's filter: one group per capability (the filter matches a prefix).
ACTION_GROUPS: dict[str, str] = {
    "org.": "党组织",
    "member.": "党员管理",
    "transfer.": "组织关系转接",
    "meeting": "组织生活",
    "review.": "民主评议",
    "opinion.": "群众意见",
    "finding.": "问题整改",
    "recruit.": "发展党员",
    "points.": "积分管理",
    "dues.": "党费收缴",
    "grid.": "网格",
    "household.": "住户与联户",
    "anchor.": "党员中心户",
    "worthy.": "乡贤能人",
    "mediation.": "矛盾调解",
    "request.": "群众诉求",
    "user.": "用户",
    "grant.": "角色授权",
    "token.": "API 令牌",
    "calendar.": "节假日",
    "blocklist.": "黑名单",
}


def action_filter_groups() -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(prefix, group label, [(action, label)]) for the filter's option groups."""
    return [
        (prefix, label, [(a, t) for a, t in ACTION_LABELS.items() if a.startswith(prefix)])
        for prefix, label in ACTION_GROUPS.items()
    ]


# Keys that services write into ``changes`` and that are not a field of the row's model.
EXTRA_KEY_LABELS: dict[str, str] = {
    "result": "结果",
    "year": "年度",
    "month": "月份",
    "items": "项目数",
    "created": "新增条数",
    "count": "条数",
    "rows": "行数",
    "n": "条数",
    "kind": "类型",
    "partner": "联建单位",
    "start": "开始",
    "until": "截止",
    "members": "党员人数",
    "layout": "版式",
    "revealed": "显示完整信息",
    "branch": "党支部",
    "branches": "党支部",
    "template": "模板",
    "version": "版本",
    "placeholders": "模板占位项",
    "active": "启用",
    "before": "修改前",
    "grid": "网格",
    "member": "党员",
    "household": "住户",
    "links_ended": "结束的联系",
    "ended_on": "结束日期",
    "started_on": "开始日期",
    "agreed": "同意",
    "discussion": "讨论情况",
    "on": "日期",
    "approve": "批准",
    "decision": "决定",
    "mode": "方式",
    "agreed_on": "议定日期",
    "user": "用户",
    "role": "角色",
    "valid_from": "生效日期",
    "valid_to": "终止日期",
    "name": "名称",
    "username": "用户名",
    "transfer": "转接",
    "label": "名称",
    "reason": "原因",
    "status": "状态",
    "state": "状态",
    "rating": "评价",
    "note": "说明",
    "points": "分值",
    "amount": "金额",
    "reasons": "原因",
    "dissolved_on": "撤销日期",
    "today": "办理日期",
    "surface": "查询入口",
    "lookups": "查询次数",
    "limit": "上限",
}
# Keys whose values are our own codes, not a model's: the words a user reads for each value.
KEY_VALUE_LABELS: dict[str, dict[str, str]] = {
    "surface": {
        "member.list": "党员名册查询",
        "api.member.list": "接口查询党员名册",
        "member.export": "导出党员名册",
        "member.import": "导入党员名册",
        "member.update": "修改党员信息",
        "applicant.create": "登记入党申请人",
        "transfer.in_external": "系统外转入",
        "transfer.member_picker": "组织关系转接选人",
    },
}
OTHER_KEY = "其他内容"
EMPTY = "空"
OTHER_VALUE = "其他"

# (model label, field name) → a function giving {code: label} for fields holding codes of a
# table outside the model (the members' national code tables).
_VALUE_LABELS: dict[tuple[str, str], Callable[[], Mapping[str, str]]] = {}


def register_value_labels(
    model_label: str, fields: Mapping[str, Callable[[], Mapping[str, str]]]
) -> None:
    """Tell the audit page how to name the codes stored in some fields of a model."""
    for name, table in fields.items():
        _VALUE_LABELS[(model_label.lower(), name)] = table


def action_label(action: str) -> str:
    """The Chinese name of an audit action (``其他操作`` for one nobody named)."""
    return ACTION_LABELS.get(action, OTHER_ACTION)


@dataclass(frozen=True)
class Change:
    label: str
    old: str | None  # None: the entry records one value, not a before/after pair
    new: str


@dataclass(frozen=True)
class AuditEntry:
    row: AuditLog
    action: str
    object_kind: str
    changes: list[Change]


# Models that moved to another app keep their old label in the rows written before the move.
_MOVED_MODELS: dict[str, str] = {}


def register_moved_model(old_label: str, new_label: str) -> None:
    """Tell the audit page that rows of ``old_label`` (``app.model``) are now ``new_label``."""
    _MOVED_MODELS[old_label.lower()] = new_label.lower()


def _model(object_type: str) -> type[models.Model] | None:
    try:
        return apps.get_model(_MOVED_MODELS.get(object_type.lower(), object_type))
    except (LookupError, ValueError):
        return None


def _field(model: type[models.Model] | None, key: str) -> models.Field | None:
    if model is None:
        return None
    for name in (key, key.removesuffix("_id")):
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        return field if isinstance(field, models.Field) else None
    return None


def _related_model(model: type[models.Model] | None, key: str) -> type[models.Model] | None:
    field = _field(model, key)
    if field is None or not field.is_relation or field.related_model is None:
        return None
    related = field.related_model
    return related if isinstance(related, type) else None


def _is_key(value: Any) -> bool:
    return isinstance(value, (int, str)) and not isinstance(value, bool) and value != ""


def key_label(model: type[models.Model] | None, key: str) -> str:
    """A change's field name as a label: the model field's verbose_name, or a known extra key."""
    field = _field(model, key)
    if field is not None and field.verbose_name != field.name.replace("_", " "):
        return str(field.verbose_name)
    return EXTRA_KEY_LABELS.get(key, OTHER_KEY)


def _date_text(value: str) -> str | None:
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            return f"{day.year}年{day.month}月{day.day}日"
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return f"{moment.year}年{moment.month}月{moment.day}日 {moment:%H:%M}"


class _Renderer:
    """Formats values for one page of rows; related rows are fetched once per model."""

    def __init__(self, rows: list[AuditLog]) -> None:
        self.tables: dict[tuple[str, str], Mapping[str, str]] = {}
        self.related: dict[type[models.Model], dict[Any, models.Model]] = {}
        wanted: dict[type[models.Model], set[Any]] = {}
        for row in rows:
            model = _model(row.object_type)
            for key, value in (row.changes or {}).items():
                related = _related_model(model, key)
                if related is None:
                    continue
                values = value if isinstance(value, list) else [value]
                wanted.setdefault(related, set()).update(v for v in values if _is_key(v))
        for related, keys in wanted.items():
            ids = [int(k) for k in keys if str(k).isdigit()][:500]
            found: dict[Any, models.Model] = dict(related._default_manager.in_bulk(ids))
            codes = [k for k in keys if not str(k).isdigit()][:500]
            if codes and any(f.name == "code" for f in related._meta.get_fields()):
                # A code (a points item's ``meeting_present``) names the same thing in every
                # year's scheme: any row with it gives the name.
                for obj in related._default_manager.filter(code__in=codes).order_by("-pk"):
                    found[obj.code] = obj  # type: ignore[attr-defined]
            self.related[related] = found

    def value(self, model: type[models.Model] | None, key: str, value: Any) -> str:
        if value is None or value == "" or value == [] or value == {}:
            return EMPTY
        if isinstance(value, bool):
            return "是" if value else "否"
        if isinstance(value, list):
            return "、".join(self.value(model, key, v) for v in value)
        if isinstance(value, dict):
            return "；".join(
                f"{key_label(model, k)}：{self.value(model, k, v)}" for k, v in value.items()
            )
        if key in KEY_VALUE_LABELS:
            return KEY_VALUE_LABELS[key].get(str(value), OTHER_VALUE)
        field = _field(model, key)
        if model is not None and (model._meta.label_lower, key) in _VALUE_LABELS:
            table_key = (model._meta.label_lower, key)
            if table_key not in self.tables:
                self.tables[table_key] = _VALUE_LABELS[table_key]()
            return self.tables[table_key].get(str(value), str(value))
        if field is not None and field.choices:
            choices = {str(k): str(v) for k, v in field.flatchoices}
            return choices.get(str(value), str(value))
        related = _related_model(model, key)
        if related is not None and _is_key(value):
            known = self.related.get(related, {})
            found = known.get(int(value)) if str(value).isdigit() else known.get(value)
            return str(found) if found is not None else "已删除的记录"
        if isinstance(value, str):
            return _date_text(value) or value
        return str(value)


def _is_pair(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 2
        and not any(isinstance(v, (list, dict)) for v in value)
    )


def audit_entries_display(rows: list[AuditLog]) -> list[AuditEntry]:
    """Each row with its action, object kind and changes in words (bounded queries)."""
    renderer = _Renderer(rows)
    entries = []
    for row in rows:
        model = _model(row.object_type)
        changes = []
        for key, value in (row.changes or {}).items():
            label = key_label(model, key)
            if _is_pair(value):
                old, new = value
                changes.append(
                    Change(label, renderer.value(model, key, old), renderer.value(model, key, new))
                )
            else:
                changes.append(Change(label, None, renderer.value(model, key, value)))
        kind = str(model._meta.verbose_name) if model is not None else ""
        entries.append(AuditEntry(row, action_label(row.action), kind, changes))
    return entries
