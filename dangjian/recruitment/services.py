"""Every write of 发展党员: register an applicant, record a step, stop, move rule sets, plans.

Keyword-only, atomic, permission-checked through the access root, audited. A step is checked
against the applicant's rule set (order, earliest date, deadlines, people, votes) before
anything is written; accepting a probationary member and converting them go through the member
registry's own services.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from dangjian.core import crypto
from dangjian.core.audit import audit_record
from dangjian.core.paths import subtree_q
from dangjian.core.uploads import sanitize_upload
from dangjian.core.workdays import add_months
from dangjian.members.access import members_visible_to
from dangjian.members.models import Member
from dangjian.members.rules import check_id_number, check_mobile, code_labels, mask_id
from dangjian.members.services import (
    Clash,
    id_clash_record,
    member_confirm_full,
    member_create,
    member_id_clash,
    member_leave,
    member_place,
)
from dangjian.orgs.access import may
from dangjian.orgs.models import BRANCH_TYPES, Organization
from dangjian.recruitment import documents, rules
from dangjian.recruitment.access import applicants_visible_to, may_record_step, upper_org
from dangjian.recruitment.models import (
    Applicant,
    DevelopmentPlan,
    DocumentKind,
    DocumentTemplate,
    RuleSet,
    StepFile,
    StepRecord,
)

# The materials that go into the personnel file at step 25 (RULES.md §1, step 25).
ARCHIVE_MATERIALS = ("申请书", "志愿书", "政审材料", "转正申请", "考察材料")
ACTIVIST_METHODS = {"member": "党员推荐", "league": "群团组织推优"}
OUTCOMES = {"on_time": "按期转正", "extend": "延长预备期", "cancel": "取消预备党员资格"}
CANCEL_REASON = "214"  # 党员减少原因：取消预备党员资格
TEXT_LIMITS = {"name": 50, "unit": 100, "address": 200}


def _invalid(message: str, code: str = "invalid", field: str | None = None) -> ValidationError:
    if field:
        return ValidationError({field: ValidationError(message, code=code)})
    return ValidationError(message, code=code)


def _audit(actor: Any, action: str, applicant: Applicant, changes: dict[str, Any]) -> None:
    audit_record(
        actor=actor,
        action=action,
        obj=applicant,
        changes=changes,
        org_id=applicant.org_id,
        org_path=applicant.org_path,
    )


def _text(value: Any, limit: int, label: str, field: str) -> str:
    text = str(value or "").strip()
    if "\x00" in text:
        raise _invalid(f"{label}含有不可见的空字符", "nul", field)
    if len(text) > limit:
        raise _invalid(f"{label}不能超过 {limit} 个字", "too_long", field)
    return text


def _date(value: Any, label: str, field: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except (TypeError, ValueError):
        raise _invalid(f"请填写{label}（如 2025-07-01）", "date", field) from None


def _int(value: Any, label: str, field: str, *, low: int = 0, high: int = 100000) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise _invalid(f"请填写{label}（整数）", "int", field) from None
    if not low <= number <= high:
        raise _invalid(f"{label}须在 {low} 到 {high} 之间", "range", field)
    return number


# --- applicants ------------------------------------------------------------------------------


def applicant_clean(data: dict[str, Any], *, today: dt.date) -> dict[str, Any]:
    """The personal record of an applicant, validated (the same rules as a member's record)."""
    out: dict[str, Any] = {}
    out["name"] = _text(data.get("name"), 50, "姓名", "name")
    if not out["name"]:
        raise _invalid("请填写姓名", "required", "name")
    check = check_id_number(str(data.get("id_number") or ""), today=today)
    if not check.valid:
        raise _invalid(check.message, "id_number", "id_number")
    out["id_number"] = str(data["id_number"]).strip().upper()
    birth = data.get("birth_date")
    out["birth_date"] = check.birth_date
    if birth and _date(birth, "出生日期", "birth_date") != check.birth_date:
        raise _invalid(
            f"出生日期与公民身份号码不一致（身份证为 {check.birth_date:%Y-%m-%d}）",
            "birth_date",
            "birth_date",
        )
    out["sex"] = check.sex_code
    for field, table, label in (
        ("ethnicity", "ethnicity", "民族"),
        ("education", "education", "学历"),
        ("job", "job", "工作岗位"),
    ):
        value = str(data.get(field) or ("01" if field == "ethnicity" else "")).strip()
        if value not in code_labels(table):
            raise _invalid(f"请选择{label}", "code", field)
        out[field] = value
    mobile = str(data.get("mobile") or "").strip()
    message = check_mobile(mobile)
    if message:
        raise _invalid(message, "mobile", "mobile")
    out["mobile"] = mobile
    out["unit"] = _text(data.get("unit"), 100, "工作单位及职务", "unit")
    out["address"] = _text(data.get("address"), 200, "家庭住址", "address")
    out["is_farmer"] = data.get("is_farmer") in (True, 1, "1", "true", "on", "是")
    return out


def _check_branch(actor: Any, org: Organization) -> None:
    if not may(actor, "org.view", org):
        raise _invalid("所选党支部不在您的管理范围内", "scope", "org")
    if org.org_type not in BRANCH_TYPES:
        raise _invalid("入党申请人须登记在党支部（含联合党支部、临时党支部）", "not_branch", "org")
    if org.dissolved_on is not None:
        raise _invalid("该党支部已撤销", "dissolved", "org")
    if not may(actor, "recruit.record", org):
        raise PermissionDenied("您没有登记该党支部发展党员工作的权限")


def applicant_create(
    *, actor: Any, org: Organization, data: dict[str, Any], note: str = ""
) -> Applicant:
    """Register an applicant with step 1 (递交入党申请书) on ``applied_on``, under the rule set in
    force that day; the age rule is checked like any other step."""
    _check_branch(actor, org)
    today = timezone.localdate()
    cleaned = applicant_clean(data, today=today)
    applied_on = _date(data.get("applied_on"), "递交入党申请书日期", "applied_on")
    # Before the write transaction, so each hit's audit row and the probe counter are kept;
    # a place outside the actor's scope is never named (members/id_clash.py).
    id_hash = crypto.lookup_hash(cleaned["id_number"])
    clash = member_id_clash(actor=actor, number=cleaned["id_number"], surface="applicant.create")
    if clash is not None:
        where = f"（{clash.branch_name}）" if clash.in_scope else ""
        raise _invalid(
            f"该同志已是党员{where}，不能登记为入党申请人", "already_member", "id_number"
        )
    _applicant_clash(actor, id_hash)
    return _applicant_create(
        actor=actor, org=org, cleaned=cleaned, applied_on=applied_on, note=note, today=today
    )


def _applicant_clash(actor: Any, id_hash: str) -> None:
    """An active application elsewhere: named only inside the actor's scope, always audited."""
    other = (
        Applicant.objects.filter(id_number_hash=id_hash, status=Applicant.Status.ACTIVE)
        .select_related("org")
        .first()
    )
    if other is None:
        return
    in_scope = applicants_visible_to(actor).filter(pk=other.pk).exists()
    id_clash_record(
        actor=actor,
        surface="applicant.create",
        clashes=[
            Clash(
                member_id=other.pk,
                branch_name=other.org.display_name if in_scope else "",
                in_scope=in_scope,
                org_path=other.org_path,
                object_type="recruitment.applicant",
            )
        ],
    )
    where = f"（{other.org.display_name}）" if in_scope else ""
    raise _invalid(f"该同志已有正在办理的入党申请{where}", "duplicate", "id_number")


@transaction.atomic
def _applicant_create(
    *,
    actor: Any,
    org: Organization,
    cleaned: dict[str, Any],
    applied_on: dt.date,
    note: str,
    today: dt.date,
) -> Applicant:
    id_hash = crypto.lookup_hash(cleaned["id_number"])
    rule_set = rules.rule_set_for(applied_on)
    book = rules.load_book(rule_set)
    facts = rules.Facts(birth_date=cleaned["birth_date"])
    try:
        rules.check_order_and_date(book, rules.APPLY, applied_on, facts, today=today)
    except ValidationError as exc:
        raise ValidationError({"applied_on": exc.messages}) from None
    applicant = Applicant(
        org=org,
        org_path=org.path,
        rule_set=rule_set,
        name=cleaned["name"],
        sex=cleaned["sex"],
        ethnicity=cleaned["ethnicity"],
        birth_date=cleaned["birth_date"],
        id_number_enc=crypto.encrypt(cleaned["id_number"]),
        id_number_hash=id_hash,
        id_number_masked=mask_id(cleaned["id_number"]),
        mobile_enc=crypto.encrypt(cleaned["mobile"]) if cleaned["mobile"] else "",
        mobile_masked=crypto.mask_phone(cleaned["mobile"]) if cleaned["mobile"] else "",
        education=cleaned["education"],
        job=cleaned["job"],
        unit=cleaned["unit"],
        address=cleaned["address"],
        is_farmer=cleaned["is_farmer"],
        applied_on=applied_on,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    try:
        with transaction.atomic():
            applicant.save()
    except IntegrityError as exc:  # a concurrent registration of the same person won
        raise _invalid("该同志已有正在办理的入党申请", "duplicate", "id_number") from exc
    StepRecord.objects.create(
        applicant=applicant,
        org_path=applicant.org_path,
        number=rules.APPLY,
        done_on=applied_on,
        note=_text(note, 2000, "情况记录", "note"),
        recorded_by=applicant.created_by,
    )
    refresh(applicant, book)
    _audit(actor, "recruit.create", applicant, {"org": org.pk, "applied_on": applied_on})
    return applicant


def load_facts(applicant: Applicant) -> rules.Facts:
    """The applicant's facts from their step records (one query)."""
    rows = list(
        StepRecord.objects.filter(applicant=applicant).values_list(
            "number", "round", "done_on", "data"
        )
    )
    return rules.facts_from_records(
        birth_date=applicant.birth_date,
        records=rows,
        extended=applicant.extended,
        probation_ends_on=applicant.probation_ends_on,
        active=applicant.status == Applicant.Status.ACTIVE,
    )


def refresh(applicant: Applicant, book: rules.Book) -> Applicant:
    """Rewrite the applicant's denormalized state (stage, next step, earliest date, deadline)."""
    facts = load_facts(applicant)
    view = rules.outlook(book, facts)
    last = facts.latest_fixed()
    applicant.last_step, applicant.last_step_on = last if last else (0, None)
    applicant.talked_on = facts.done.get(rules.TALK)
    if applicant.status == Applicant.Status.ACTIVE and view.step is not None:
        applicant.stage = rules.stage_of(book, facts)
        applicant.next_step = view.step.number
        applicant.next_earliest_on = view.earliest.on if view.earliest else None
        due = view.next_due  # the step's own deadline or the next 考察, whichever comes first
        applicant.due_on = due.on if due else None
        applicant.due_label = due.label[:100] if due else ""
        failed = facts.failed_votes.get(view.step.number)
        applicant.vote_failed_on = max(failed) if failed else None
    else:
        applicant.next_step = None
        applicant.next_earliest_on = None
        applicant.due_on = None
        applicant.due_label = ""
        applicant.vote_failed_on = None
    applicant.save()
    return applicant


def _locked(applicant: Applicant) -> Applicant:
    return (
        Applicant.objects.select_for_update(of=("self",))
        .select_related("org", "org__parent", "member", "rule_set")
        .get(pk=applicant.pk)
    )


def _people(
    *,
    actor: Any,
    applicant: Applicant,
    ids: Iterable[int],
    role: str,
    article: str,
    low: int,
    high: int,
) -> list[Member]:
    """Mentors or sponsors: full members in good standing inside the upper committee's subtree."""
    wanted = list(dict.fromkeys(int(i) for i in ids))
    if not low <= len(wanted) <= high:
        count = f"{low}名" if low == high else f"{low}至{high}名"
        raise _invalid(
            f"{role}应为{count}正式党员（{article}），当前选择了{len(wanted)}名",
            "people_count",
            "people",
        )
    scope = upper_org(applicant.org)
    found = {
        m.pk: m
        for m in members_visible_to(actor)
        .filter(subtree_q("org_path", scope.path))
        .filter(pk__in=wanted)
    }
    missing = [i for i in wanted if i not in found]
    if missing:
        raise _invalid(
            f"所选{role}不存在或不在{scope.display_name}范围内，请从本党委的党员中选择",
            "people_scope",
            "people",
        )
    for m in found.values():
        if m.category != Member.Category.FULL:
            raise _invalid(
                f"{role}须是正式党员（{article}），{m.name}是预备党员",
                "people_probationary",
                "people",
            )
        if m.standing != Member.Standing.NORMAL or m.lost_contact:
            raise _invalid(
                f"{role}须是党籍正常、与组织保持联系的党员，{m.name}不符合",
                "people_standing",
                "people",
            )
    return [found[i] for i in wanted]


def _vote(data: dict[str, Any], book: rules.Book, number: int) -> dict[str, Any]:
    """The vote's five counts and whether it passed; a vote without quorum is refused."""
    vote = {
        "entitled": _int(data.get("entitled"), "应到会有表决权的正式党员人数", "entitled", high=10000),
        "present": _int(data.get("present"), "实到有表决权的正式党员人数", "present", high=10000),
        "for": _int(data.get("votes_for"), "赞成票", "votes_for", high=10000),
        "against": _int(data.get("votes_against", 0), "反对票", "votes_against", high=10000),
        "abstain": _int(data.get("votes_abstain", 0), "弃权票", "votes_abstain", high=10000),
    }  # fmt: skip
    passed = rules.vote_check(
        entitled=vote["entitled"],
        present=vote["present"],
        votes_for=vote["for"],
        against=vote["against"],
        abstain=vote["abstain"],
        article=book.step(number).article,
    )
    return {**vote, "passed": passed}


def _step_data(
    *,
    actor: Any,
    applicant: Applicant,
    book: rules.Book,
    facts: rules.Facts,
    number: int,
    done_on: dt.date,
    data: dict[str, Any],
    people_ids: list[int],
) -> tuple[dict[str, Any], list[Member]]:
    """Validate the figures and people of one step; return what is stored."""
    out: dict[str, Any] = {}
    people: list[Member] = []
    article = book.step(number).article
    if number == rules.ACTIVIST:
        method = str(data.get("method") or "")
        if method not in ACTIVIST_METHODS:
            raise _invalid("请选择推荐方式（党员推荐或群团组织推优）", "method", "method")
        out["method"] = method
    elif number == rules.MENTORS:
        people = _people(
            actor=actor, applicant=applicant, ids=people_ids, role="培养联系人", article=article,
            low=book.n("mentors_min"), high=book.n("mentors_max"),
        )  # fmt: skip
    elif number == rules.SPONSORS:
        n = book.n("sponsors")
        people = _people(
            actor=actor, applicant=applicant, ids=people_ids, role="入党介绍人", article=article,
            low=n, high=n,
        )  # fmt: skip
    elif number == rules.POLITICAL_REVIEW:
        result = str(data.get("result") or "")
        if result not in ("pass", "fail"):
            raise _invalid("请选择政治审查结论", "result", "result")
        if result == "fail":
            raise _invalid(
                f"政治审查不合格的，不能发展入党（{article}），如需结束请办理“终止培养”",
                "review_failed",
                "result",
            )
        out["result"] = result
    elif number == rules.TRAINING:
        days = _int(data.get("days", 0), "培训天数", "days", high=365)
        hours = _int(data.get("hours", 0), "培训学时", "hours", high=2000)
        min_days, min_hours = book.limit("training_min_days"), book.limit("training_min_hours")
        if days < min_days.value and hours < min_hours.value:
            raise _invalid(
                f"短期集中培训一般不少于{min_days.value}天或{min_hours.value}个学时"
                f"（{min_days.article}），当前为{days}天、{hours}学时",
                "training_short",
                "days",
            )
        out.update(days=days, hours=hours)
    elif number == rules.BRANCH_REVIEW:
        start = _date(data.get("notice_start"), "公示开始日期", "notice_start")
        try:
            rules.check_notice_start(book, done_on, start)
        except ValidationError as exc:
            raise _invalid(exc.messages[0], exc.code or "notice", "notice_start") from None
        out["notice_start"] = start.isoformat()
        out["notice_end"] = rules.notice_end(book, start).isoformat()
    elif number == rules.PRE_REVIEW:
        if data.get("leaving_soon") in (True, "1", "on", "true"):
            lim = book.limit("departure_months")
            raise _invalid(
                f"发展对象未来{lim.value}个月内将离开工作、学习单位的，一般不办理接收预备党员的手续"
                f"（{lim.article}）",
                "leaving_soon",
                "leaving_soon",
            )
    elif number == rules.VOLUNTEER_FORM:
        form_number = _text(data.get("form_number"), 30, "入党志愿书编号", "form_number")
        if not form_number:
            raise _invalid("请填写入党志愿书编号", "form_number", "form_number")
        out["form_number"] = form_number
    elif number == rules.GENERAL_MEETING:
        out["vote"] = _vote(data, book, number)
    elif number == rules.APPROVAL:
        outcome = str(data.get("outcome") or "approved")
        if outcome not in ("approved", "rejected"):
            raise _invalid("请选择审批结果", "outcome", "outcome")
        out["outcome"] = outcome
        due = rules.deadline(book, number, facts)
        reason = _text(data.get("delay_reason"), 200, "延长审批的原因", "delay_reason")
        if due is not None and due.hard is not None and done_on > due.hard:
            raise _invalid(
                f"上级党委审批最长不得超过{book.n('approval_max_months')}个月"
                f"（{book.limit('approval_max_months').article}），最迟应于 {rules.date_label(due.hard)}；"
                "已超过期限的，应重新提交支部大会讨论",
                "approval_expired",
                "done_on",
            )
        if due is not None and done_on > due.on and not reason:
            raise _invalid(
                f"{due.label}，期限为 {rules.date_label(due.on)}；超过期限审批须填写延长审批的原因",
                "delay_reason",
                "delay_reason",
            )
        if reason:
            out["delay_reason"] = reason
    elif number == rules.PLACEMENT:
        group_id = data.get("group")
        if group_id not in (None, "", 0, "0"):
            group = Organization.objects.filter(
                pk=_int(group_id, "党小组", "group", high=2**62),
                parent=applicant.org,
                org_type=Organization.Type.GROUP,
                dissolved_on__isnull=True,
            ).first()
            if group is None:
                raise _invalid("党小组必须属于所在党支部", "group", "group")
            out["group"] = group.pk
    elif number == rules.CONVERSION_MEETING:
        outcome = str(data.get("outcome") or "")
        if outcome not in OUTCOMES:
            raise _invalid(
                "请选择讨论结果（按期转正、延长预备期或取消预备党员资格）", "outcome", "outcome"
            )
        out["outcome"] = outcome
        if outcome == "extend":
            if facts.extended:
                raise _invalid(
                    f"预备期只能延长{book.n('extensions_allowed')}次"
                    f"（{book.limit('extensions_allowed').article}）",
                    "extended_twice",
                    "outcome",
                )
            low, high = book.limit("extension_min_months"), book.limit("extension_max_months")
            months = _int(data.get("extend_months"), "延长的月数", "extend_months", high=120)
            if not low.value <= months <= high.value:
                raise _invalid(
                    f"延长预备期不能少于{low.value}个月，最长不超过{high.value}个月（{low.article}）",
                    "extend_range",
                    "extend_months",
                )
            out["extend_months"] = months
        out["vote"] = _vote(data, book, number)
    elif number == rules.ARCHIVE:
        have = set(data.get("materials") or [])
        missing = [m for m in ARCHIVE_MATERIALS if m not in have]
        if missing:
            raise _invalid("以下材料尚未归档：" + "、".join(missing), "materials", "materials")
        out["materials"] = list(ARCHIVE_MATERIALS)
    return out, people


@transaction.atomic
def step_record(
    *,
    actor: Any,
    applicant: Applicant,
    number: int,
    done_on: dt.date,
    note: str = "",
    people: Iterable[int] = (),
    people_names: str = "",
    data: dict[str, Any] | None = None,
) -> StepRecord:
    """Record one step: order, earliest date and the step's own rules are checked first;
    accepting (17) creates the probationary Member, conversion (24) updates it."""
    applicant = _locked(applicant)
    book = rules.load_book(applicant.rule_set_id)
    if number not in book.steps:
        raise _invalid("没有这个步骤", "unknown_step", "number")
    step = book.step(number)
    if not may_record_step(actor, applicant, needs_upper=step.needs_upper):
        who = "上级党委" if step.needs_upper else "党支部"
        raise PermissionDenied(f"“{step.name}”由{who}办理，您没有相应权限")
    today = timezone.localdate()
    facts = load_facts(applicant)
    try:
        rules.check_order_and_date(book, number, done_on, facts, today=today)
    except ValidationError as exc:
        code = exc.code or "invalid"
        field = None if code in ("out_of_order", "closed", "unknown_step") else "done_on"
        raise _invalid(exc.messages[0], code, field) from None
    cleaned, members = _step_data(
        actor=actor, applicant=applicant, book=book, facts=facts, number=number,
        done_on=done_on, data=dict(data or {}), people_ids=list(people),
    )  # fmt: skip
    due = rules.deadline(book, number, facts)
    failed = rules.vote_failed(cleaned)
    record = StepRecord.objects.create(
        applicant=applicant,
        org_path=applicant.org_path,
        number=number,
        round=facts.round if number in rules.CONVERSION_STEPS else 1,
        done_on=done_on,
        note=_text(note, 2000, "情况记录", "note"),
        people_names=_text(people_names, 200, "参与人员", "people_names"),
        data=cleaned,
        is_late=due is not None and done_on > due.on,
        failed=failed,
        recorded_by=actor if getattr(actor, "pk", None) else None,
    )
    if members:
        record.people.set(members)
    if not failed:
        # A vote that did not pass changes nothing else: the 发展对象 is not admitted (or the
        # conversion not decided) and the branch may hold a new vote or end the application.
        _apply_effects(actor=actor, applicant=applicant, book=book, facts=facts, record=record)
    refresh(applicant, book)
    _audit(
        actor,
        "recruit.vote_failed" if failed else "recruit.step",
        applicant,
        {"step": number, "name": step.name, "done_on": done_on, "data": cleaned},
    )
    return record


def _apply_effects(
    *, actor: Any, applicant: Applicant, book: rules.Book, facts: rules.Facts, record: StepRecord
) -> None:
    """What a step changes beyond its record: the Member at 17/19/24, the status at the end."""
    number, data = record.number, record.data
    if number == rules.APPROVAL:
        if data.get("outcome") == "rejected":
            applicant.status = Applicant.Status.STOPPED
            applicant.stop_reason = "上级党委未批准接收为预备党员"
            return
        admitted = facts.done[rules.GENERAL_MEETING]
        id_number = crypto.decrypt(applicant.id_number_enc)
        member_data: dict[str, Any] = {
            "name": applicant.name, "sex": applicant.sex, "ethnicity": applicant.ethnicity,
            "id_number": id_number, "birth_date": applicant.birth_date,
            "education": applicant.education, "category": Member.Category.PROBATIONARY,
            "joined_on": admitted, "job": applicant.job, "address": applicant.address,
        }  # fmt: skip
        if applicant.mobile_enc:
            member_data["mobile"] = crypto.decrypt(applicant.mobile_enc)
        applicant.member = member_create(
            actor=actor, branch=applicant.org, data=member_data, increase_reason="11"
        )
        applicant.admitted_on = admitted
        applicant.probation_ends_on = rules.probation_end(book, admitted)
    elif number == rules.PLACEMENT and data.get("group") and applicant.member is not None:
        group = Organization.objects.get(pk=data["group"])
        if applicant.member.group_id != group.pk:
            member_place(actor=actor, member=applicant.member, branch=applicant.org, group=group)
    elif number == rules.CONVERSION_APPROVAL:
        decision = facts.data.get(rules.CONVERSION_MEETING, {})
        outcome = decision.get("outcome")
        member = applicant.member
        if member is None:
            raise _invalid("找不到该同志的党员记录，不能办理转正", "no_member")
        if applicant.probation_ends_on is None:
            raise _invalid("预备期满日期缺失，不能办理转正", "no_probation")
        if outcome == "on_time":
            member_confirm_full(actor=actor, member=member, on=applicant.probation_ends_on)
            applicant.full_on = applicant.probation_ends_on
        elif outcome == "extend":
            applicant.probation_ends_on = add_months(
                applicant.probation_ends_on, int(decision["extend_months"])
            )
            applicant.extended = True
        elif outcome == "cancel":
            member_leave(
                actor=actor, member=member, on=record.done_on, decrease_reason=CANCEL_REASON,
                note="支部大会讨论，上级党委批准",
            )  # fmt: skip
            applicant.status = Applicant.Status.CANCELLED
    elif number == rules.ARCHIVE:
        applicant.status = Applicant.Status.FULL


@transaction.atomic
def applicant_stop(*, actor: Any, applicant: Applicant, reason: str) -> Applicant:
    """终止培养: the applicant leaves the pipeline (moved away, withdrew, found unsuitable)."""
    applicant = _locked(applicant)
    if not may(actor, "recruit.record", applicant.org):
        raise PermissionDenied("您没有登记该党支部发展党员工作的权限")
    if applicant.status != Applicant.Status.ACTIVE:
        raise _invalid("该同志的发展工作已结束", "closed")
    if applicant.member_id is not None:
        raise _invalid(
            "已接收为预备党员的，请通过支部大会讨论转正办理（取消预备党员资格）", "is_member"
        )
    reason = _text(reason, 200, "终止原因", "reason")
    if not reason:
        raise _invalid("请填写终止原因", "required", "reason")
    applicant.status = Applicant.Status.STOPPED
    applicant.stop_reason = reason
    refresh(applicant, rules.load_book(applicant.rule_set_id))
    _audit(actor, "recruit.stop", applicant, {"reason": reason})
    return applicant


@transaction.atomic
def applicant_move_rule_set(*, actor: Any, applicant: Applicant, rule_set: RuleSet) -> Applicant:
    """Move an applicant to another rule set deliberately (e.g. a revised 细则); audited."""
    applicant = _locked(applicant)
    if not may(actor, "recruit.approve", upper_org(applicant.org)):
        raise PermissionDenied("调整适用规则须由上级党委办理")
    if applicant.rule_set_id == rule_set.pk:
        raise _invalid("已适用该规则", "same_rule_set")
    before = applicant.rule_set_id
    applicant.rule_set = rule_set
    refresh(applicant, rules.load_book(rule_set))
    _audit(actor, "recruit.rule_set", applicant, {"rule_set": [before, rule_set.pk]})
    return applicant


MAX_FILES_PER_STEP = 10


@transaction.atomic
def step_file_add(*, actor: Any, record: StepRecord, upload: Any, caption: str = "") -> StepFile:
    """File a scan or photo with a step: images re-encoded (EXIF gone), PDFs kept, else refused."""
    applicant = record.applicant
    book = rules.load_book(applicant.rule_set_id)
    step = book.step(record.number)
    if not may_record_step(actor, applicant, needs_upper=step.needs_upper):
        raise PermissionDenied("您没有为该步骤上传材料的权限")
    if StepFile.objects.filter(record=record).count() >= MAX_FILES_PER_STEP:
        raise _invalid(f"每个步骤最多上传 {MAX_FILES_PER_STEP} 个文件", "too_many", "file")
    clean = sanitize_upload(upload)
    row = StepFile(
        record=record,
        org_path=record.org_path,
        caption=_text(caption, 100, "说明", "caption"),
        uploaded_by=actor if getattr(actor, "pk", None) else None,
    )
    row.file.save(clean.name or "file", clean, save=False)
    row.save()
    _audit(actor, "recruit.file", applicant, {"step": record.number, "file": row.pk})
    return row


# --- plans ---------------------------------------------------------------------------------


@transaction.atomic
def plan_save(
    *,
    actor: Any,
    org: Organization,
    year: int,
    quota: int,
    farmer_quota: int,
    note: str = "",
) -> DevelopmentPlan:
    """Set an organization's 年度发展党员计划 (farmers counted separately, 计划单列)."""
    if not may(actor, "recruit.record", org):
        raise PermissionDenied("您没有制定该组织发展计划的权限")
    if not 2000 <= year <= 2100:
        raise _invalid("年度不正确", "year", "year")
    if quota < 0 or farmer_quota < 0 or quota > 100000:
        raise _invalid("计划人数不正确", "quota", "quota")
    if farmer_quota > quota:
        raise _invalid("单列的农民党员人数不能多于计划总数", "farmer_quota", "farmer_quota")
    note = _text(note, 300, "说明", "note")
    plan, created = DevelopmentPlan.objects.select_for_update().get_or_create(
        org=org,
        year=year,
        defaults={
            "org_path": org.path,
            "quota": quota,
            "farmer_quota": farmer_quota,
            "note": note,
        },
    )
    before = {"quota": plan.quota, "farmer_quota": plan.farmer_quota, "note": plan.note}
    if not created and before == {"quota": quota, "farmer_quota": farmer_quota, "note": note}:
        return plan  # saved unchanged: no write, no audit row
    if not created:
        plan.quota, plan.farmer_quota, plan.note = quota, farmer_quota, note
        plan.org_path = org.path
        plan.save()
    audit_record(
        actor=actor,
        action="recruit.plan",
        obj=plan,
        changes={"year": year, "before": before if not created else {}, "quota": quota,
                 "farmer_quota": farmer_quota},
        org_id=org.pk,
        org_path=org.path,
    )  # fmt: skip
    return plan


# --- 发展党员文书: downloads and templates ------------------------------------------------------


def document_issue(*, actor: Any, applicant: Applicant, kind: str) -> documents.Document:
    """One filled document (the actor was checked by the gate; every download is audited)."""
    if kind not in DocumentKind.values:
        raise ValidationError("没有这种文书", code="kind")
    done = set(StepRecord.objects.filter(applicant=applicant).values_list("number", flat=True))
    if documents.NEEDS_STEP[kind] not in done:
        need = rules.load_book(applicant.rule_set_id).step(documents.NEEDS_STEP[kind])
        raise ValidationError(
            f"完成“{need.name}”后才能生成{DocumentKind(kind).label}", code="not_yet"
        )
    template, row = documents.template_for(kind, applicant.org)
    content = documents.fill(template, documents.values_for(applicant, kind))
    audit_record(
        actor=actor,
        action="recruit.document",
        obj=applicant,
        changes={"kind": kind, "template": row.pk if row else "default"},
        org_id=applicant.org_id,
        org_path=applicant.org_path,
    )
    name = f"{documents.TITLES[kind]}-{applicant.name}.docx"
    return documents.Document(kind, name, content, row)


@transaction.atomic
def template_upload(
    *, actor: Any, scope: Organization, kind: str, content: bytes, note: str = ""
) -> DocumentTemplate:
    """Store a replacement template for ``scope``'s subtree as a new active version."""
    if kind not in DocumentKind.values:
        raise ValidationError({"kind": "请选择文书"})
    if not may(actor, "recruit.approve", scope):
        raise PermissionDenied("上传文书模板须有该组织的发展党员审批权限")
    found = documents.check_upload(kind, content)
    latest = DocumentTemplate.objects.select_for_update().filter(kind=kind, scope=scope)
    version = (latest.aggregate(v=Max("version"))["v"] or 0) + 1
    latest.update(is_active=False)
    row = DocumentTemplate(
        kind=kind,
        scope=scope,
        scope_path=scope.path,
        version=version,
        note=(note or "").strip()[:200],
        uploaded_by=actor if getattr(actor, "pk", None) else None,
    )
    row.file.save(f"{kind}-v{version}.docx", ContentFile(content), save=False)
    row.save()
    audit_record(
        actor=actor,
        action="recruit.template",
        obj=row,
        changes={"kind": kind, "version": version, "placeholders": sorted(found)},
        org_id=scope.pk,
        org_path=scope.path,
    )
    return row


@transaction.atomic
def template_activate(*, actor: Any, template: DocumentTemplate, active: bool) -> DocumentTemplate:
    """Make one stored version the active one (or switch uploads off: back to the default)."""
    if not may(actor, "recruit.approve", template.scope):
        raise PermissionDenied("您没有维护该组织文书模板的权限")
    DocumentTemplate.objects.filter(kind=template.kind, scope=template.scope).update(
        is_active=False
    )
    if active:
        DocumentTemplate.objects.filter(pk=template.pk).update(is_active=True)
    template.refresh_from_db()
    audit_record(
        actor=actor,
        action="recruit.template_activate",
        obj=template,
        changes={"active": active},
        org_id=template.scope_id,
        org_path=template.scope_path,
    )
    return template
