"""The audit page in Chinese: every action a service writes has a name; fields and values read
as words ("状态：已领单 → 已升级督办"), never as stored codes."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest

import dangjian
from dangjian.core.audit import audit_record
from dangjian.core.audit_display import (
    ACTION_LABELS,
    EMPTY,
    KEY_VALUE_LABELS,
    OTHER_ACTION,
    action_label,
    audit_entries_display,
)
from dangjian.core.models import AuditLog
from dangjian.findings.services import TRANSITIONS as FINDING_TRANSITIONS
from dangjian.members.models import MemberEvent
from dangjian.members.tests.factories import make_member
from dangjian.service_requests.tests.factories import drive, submit

ROOT = Path(dangjian.__file__).parent

# Action expressions built from a parameter the scan cannot follow, and what they can become.
DYNAMIC: dict[str, set[str]] = {
    "members/services.py:f'member.{kind}'": {f"member.{k}" for k in MemberEvent.Kind.values},
    "findings/services.py:f'finding.{action}'": {f"finding.{a}" for a in FINDING_TRANSITIONS},
}


def _call_name(node: ast.Call) -> str:
    f = node.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def _resolve(expr: ast.expr, fn: ast.AST | None) -> set[str] | None:
    """The strings ``expr`` can be: constants, both arms of ``a if c else b``, f-strings over
    those, and local names assigned only such values. None when it cannot tell."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return {expr.value}
    if isinstance(expr, ast.IfExp):
        a, b = _resolve(expr.body, fn), _resolve(expr.orelse, fn)
        return a | b if a is not None and b is not None else None
    if isinstance(expr, ast.JoinedStr):
        out = {""}
        for part in expr.values:
            inner = part.value if isinstance(part, ast.FormattedValue) else part
            got = _resolve(inner, fn)
            if got is None:
                return None
            out = {o + g for o in out for g in got}
        return out
    if isinstance(expr, ast.Name) and fn is not None:
        values: set[str] = set()
        for node in ast.walk(fn):
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == expr.id for t in node.targets
            ):
                got = _resolve(node.value, None)
                if got is None:
                    return None
                values |= got
        return values or None
    return None


def _params(fn: ast.AST) -> set[str]:
    if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return set()
    a = fn.args
    return {p.arg for p in [*a.posonlyargs, *a.args, *a.kwonlyargs]}


def written_actions() -> tuple[set[str], list[str]]:
    """Every action string a service passes to ``audit_record`` (directly or through a
    module's ``_audit(actor, action, …)`` wrapper), and the call sites it could not read."""
    found: set[str] = set()
    unresolved: list[str] = []
    for path in sorted(ROOT.rglob("*.py")):
        if {"tests", "migrations"} & set(path.parts):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        rel = path.relative_to(ROOT).as_posix()
        functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
        owner = {id(c): fn for fn in functions for c in ast.walk(fn)}
        # A wrapper: a function passing its own parameter (or an f-string of it) as action.
        wrappers: dict[str, tuple[ast.expr, str, int]] = {}
        for fn in functions:
            params = _params(fn)
            for node in ast.walk(fn):
                if isinstance(node, ast.Call) and _call_name(node) == "audit_record":
                    action = {k.arg: k.value for k in node.keywords}.get("action")
                    if action is None:
                        continue
                    used = [n.id for n in ast.walk(action) if isinstance(n, ast.Name)]
                    param = next((u for u in used if u in params), None)
                    if param is not None:
                        order = [a.arg for a in [*fn.args.posonlyargs, *fn.args.args]]
                        index = order.index(param) if param in order else -1
                        wrappers[fn.name] = (action, param, index)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _call_name(node)
            fn = owner.get(id(node))
            kw = {k.arg: k.value for k in node.keywords}
            template: ast.expr | None = None
            if name == "audit_record" and fn is not None and fn.name in wrappers:
                continue  # read at the wrapper's call sites
            if name == "audit_record":
                expr = kw.get("action")
            elif name in wrappers:
                template, param, index = wrappers[name]
                expr = kw.get(param)
                if expr is None and 0 <= index < len(node.args):
                    expr = node.args[index]
            else:
                continue
            values = _resolve(expr, fn) if expr is not None else None
            if values is not None and template is not None:
                values = _apply(template, values)
            if values is None:
                keys = [f"{rel}:{ast.unparse(e)}" for e in (expr, template) if e is not None]
                key = next((k for k in keys if k in DYNAMIC), keys[0] if keys else f"{rel}:?")
                if key in DYNAMIC:
                    values = DYNAMIC[key]
                else:
                    unresolved.append(f"{key} (line {node.lineno})")
                    continue
            found |= values
    return found, unresolved


def _apply(template: ast.expr, values: set[str]) -> set[str]:
    """A wrapper's ``f"request.{action}"`` applied to each value its callers pass."""
    if isinstance(template, ast.JoinedStr):
        prefix = "".join(
            p.value
            for p in template.values
            if isinstance(p, ast.Constant) and isinstance(p.value, str)
        )
        return {prefix + v for v in values}
    return values


def test_every_action_a_service_writes_has_a_chinese_name() -> None:
    actions, unresolved = written_actions()
    assert not unresolved, (
        f"action strings the scan cannot read (add them to DYNAMIC): {unresolved}"
    )
    assert len(actions) > 100  # the scan really found the services' calls
    assert "request.escalate" in actions  # through service_requests' _audit wrapper
    assert "member.lost_contact" in actions  # member.{kind}, from DYNAMIC
    assert "request.rate" in actions  # a local name assigned in two branches
    missing = sorted(a for a in actions if a not in ACTION_LABELS)
    assert not missing, f"add these to core.audit_display.ACTION_LABELS: {missing}"


def test_the_action_scan_follows_wrappers_and_local_names() -> None:
    source = (
        "def _audit(actor, action, req):\n"
        "    audit_record(actor=actor, action=f'thing.{action}', obj=req)\n"
        "def close(req):\n"
        "    action = 'reopen' if req else 'rate'\n"
        "    _audit(None, action, req)\n"
    )
    tree = ast.parse(source)
    close = tree.body[1]
    call = close.body[1].value  # type: ignore[attr-defined]
    values = _resolve(call.args[1], close)
    assert values == {"reopen", "rate"}
    assert _apply(tree.body[0].body[0].value.keywords[1].value, values) == {  # type: ignore[attr-defined]
        "thing.reopen",
        "thing.rate",
    }


def test_an_unknown_action_reads_as_other_never_as_its_code() -> None:
    assert action_label("request.escalate") == "升级督办"
    assert action_label("something.new") == OTHER_ACTION


def _entry(row: AuditLog):  # type: ignore[no-untyped-def]
    (entry,) = audit_entries_display([row])
    return entry


def test_an_escalation_reads_as_states_and_levels(tree, people) -> None:
    from dangjian.grid.tests.factories import make_grid

    member = make_member(people.county_admin, tree.village_a1, name="陈秀英")
    grid = make_grid(tree.village_a1, workers=[people.grid_worker])
    req, _ = submit(grid)
    drive(req, "escalated", people=people, member=member)
    row = AuditLog.objects.filter(action="request.escalate").get()
    entry = _entry(row)
    text = {c.label: (c.old, c.new) for c in entry.changes}
    assert entry.action == "升级督办"
    assert entry.object_kind == "群众诉求"
    assert text["状态"] == ("待领单", "已升级督办")
    assert text["督办层级"] == ("网格", "支部")
    assert not any("escalat" in f"{c.label}{c.old}{c.new}" for c in entry.changes)


def test_values_read_as_words(tree, people) -> None:
    member = make_member(people.county_admin, tree.village_a1, name="王立新")
    row = audit_record(
        actor=people.county_admin,
        action="member.update",
        obj=member,
        changes={
            "lost_contact": [False, True],
            "lost_contact_since": [None, dt.date(2026, 3, 5)],
            "sex": ["1", "2"],
            "category": ["probationary", "full"],
            "branch": [tree.village_a1.pk, tree.village_a2.pk],
            "note": "",
        },
    )
    entry = _entry(row)
    got = {c.label: (c.old, c.new) for c in entry.changes}
    assert got["是否失联"] == ("否", "是")
    assert got["失联日期"] == (EMPTY, "2026年3月5日")
    assert got["性别"] == ("男", "女")
    assert got["人员类别"][1] == "正式党员"
    assert got["所在党支部"] == (str(tree.village_a1), str(tree.village_a2))
    assert entry.action == "修改党员信息"
    assert entry.object_kind == "党员"


def test_a_key_that_is_not_a_field_uses_the_known_names_or_a_plain_word(people) -> None:
    row = audit_record(
        actor=people.county_admin,
        action="calendar.set",
        object_type="core.calendarday",
        changes={"year": 2026, "mystery_key": "x"},
    )
    labels = [c.label for c in _entry(row).changes]
    assert labels == ["年度", "其他内容"]


def test_an_id_lookup_entry_names_where_the_lookup_came_from(people) -> None:
    row = audit_record(
        actor=people.county_admin,
        action="member.id_lookup",
        object_type="accounts.user",
        changes={"surface": "member.list", "lookups": 1, "limit": 200},
    )
    changes = {c.label: c.new for c in _entry(row).changes}
    assert changes == {"查询入口": "党员名册查询", "查询次数": "1", "上限": "200"}


def test_every_surface_the_code_names_has_chinese_words() -> None:
    """Every ``surface="..."`` literal in the services and views is a key the audit page names."""
    root = Path(dangjian.__file__).parent
    found = set()
    for path in root.rglob("*.py"):
        if "tests" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.keyword)
                and node.arg == "surface"
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                found.add(node.value.value)
    assert "member.import" in found  # the scan sees the calls
    assert sorted(found - KEY_VALUE_LABELS["surface"].keys()) == []


def test_audit_rows_from_a_deleted_model_or_row_still_render(people) -> None:
    row = audit_record(
        actor=people.county_admin,
        action="org.update",
        object_type="gone.model",
        changes={"parent": [999999, 1]},
    )
    entry = _entry(row)
    assert entry.object_kind == ""
    assert entry.changes[0].label == "其他内容"


@pytest.mark.django_db
def test_the_audit_page_shows_no_codes(login, people, tree) -> None:
    from dangjian.grid.tests.factories import make_grid

    member = make_member(people.county_admin, tree.village_a1, name="陈秀英")
    grid = make_grid(tree.village_a1, workers=[people.grid_worker])
    req, _ = submit(grid)
    drive(req, "escalated", people=people, member=member)
    html = login(people.county_admin).get("/orgs/audit/").content.decode()
    assert "升级督办" in html
    assert "已升级督办" in html
    for code in ("request.escalate", "escalation_level", "['", "None", "escalated"):
        assert code not in html.split("<tbody")[1], code


def test_every_named_action_is_in_one_filter_group() -> None:
    from dangjian.core.audit_display import action_filter_groups

    grouped = [a for _, _, items in action_filter_groups() for a, _ in items]
    assert sorted(grouped) == sorted(ACTION_LABELS)  # each once, none left out
