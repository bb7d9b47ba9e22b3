"""Pages of the organization tree: home, tree, organization pages, forms, audit log.

Thin: access gate → form → one service or selector → template (a partial for HTMX).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django_htmx.middleware import HtmxDetails

from dangjian.accounts.roles import ROLE_HOME
from dangjian.accounts.workspace import current_grant
from dangjian.core import selectors as core_selectors
from dangjian.core import todo
from dangjian.core.audit_display import action_filter_groups, audit_entries_display
from dangjian.core.forms import add_validation_error
from dangjian.core.workdays import add_months
from dangjian.orgs import selectors, services
from dangjian.orgs.access import access_org_by_id, may, scope_roots
from dangjian.orgs.forms import OrgCreateForm, OrgEditForm, OrgLinkForm, OrgMoveForm
from dangjian.orgs.models import Organization
from dangjian.orgs.rules import ALLOWED_PARENTS, TERM_RULES


def _htmx(request: HttpRequest) -> bool:
    details: HtmxDetails | None = getattr(request, "htmx", None)
    return bool(details)


def _crumbs(viewer: Any, org: Organization, *extra: tuple[str, str]) -> list[dict[str, str]]:
    crumbs = [{"label": "组织体系", "url": reverse("orgs:tree")}]
    for a in selectors.org_ancestors(viewer=viewer, org=org):
        crumbs.append({"label": a.display_name, "url": reverse("orgs:detail", args=[a.pk])})
    crumbs.append({"label": org.display_name, "url": reverse("orgs:detail", args=[org.pk])})
    crumbs += [{"label": label, "url": url} for label, url in extra]
    return crumbs


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """首页: what the working role works on (``ROLE_HOME``); organizers' statistics only for them."""
    grant = current_grant(request.user, request.session)
    context: dict[str, Any] = {"nav_active": "home", "grant": grant, "today": timezone.localdate()}
    if grant is not None:
        org = access_org_by_id(request.user, grant.org_id)
        kind = ROLE_HOME.get(grant.role, "member")
        context.update(
            org=org,
            home=kind,
            notifications=core_selectors.notifications_for(viewer=request.user, limit=5),
            can_view_members=may(request.user, "member.view", org),
        )
    if grant is not None and context["home"] == "overview":
        context.update(
            counts=selectors.org_subtree_counts(viewer=request.user, org=org),
            expiring=selectors.org_term_expiring(
                viewer=request.user,
                within=org,
                within_days=(
                    add_months(timezone.localdate(), max(TERM_RULES.reminder_months))
                    - timezone.localdate()
                ).days,
                today=timezone.localdate(),
            )[:8],
            children=selectors.org_children(viewer=request.user, org=org)[:12],
        )
    return TemplateResponse(request, "orgs/home.html", context)


@login_required
def home_todo(request: HttpRequest) -> HttpResponse:
    """The home page's 待办事项 card (loaded after the page): what waits for the viewer."""
    grant = current_grant(request.user, request.session)
    items = []
    org = None
    if grant is not None:
        org = access_org_by_id(request.user, grant.org_id)
        items = todo.todos_for(viewer=request.user, org=org, today=timezone.localdate())
        selectors.attach_org_places([org], org_of=lambda o: o)  # whose 待办 these are
    return TemplateResponse(request, "orgs/_todo.html", {"items": items, "org": org})


@login_required
def tree(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:50]
    org_type = request.GET.get("type", "")
    if org_type not in Organization.Type.values:
        org_type = ""
    context: dict[str, Any] = {
        "nav_active": "orgs",
        "q": q,
        "org_type": org_type,
        "types": Organization.Type.choices,
        "crumbs": [{"label": "组织体系", "url": reverse("orgs:tree")}],
    }
    if q or org_type:
        page = selectors.org_search(
            viewer=request.user, q=q, org_type=org_type, cursor=request.GET.get("cursor"), limit=30
        )
        context["results"] = page
        if _htmx(request):
            return TemplateResponse(request, "orgs/tree.html#results", context)
    else:
        roots = selectors.org_top_level(viewer=request.user)
        context["roots"] = roots
        # Open the first level so a township worker sees their villages at once.
        if len(roots) == 1:
            context["open_children"] = selectors.org_children(viewer=request.user, org=roots[0])
        if _htmx(request):
            return TemplateResponse(request, "orgs/tree.html#forest", context)
    return TemplateResponse(request, "orgs/tree.html", context)


@login_required
def children(request: HttpRequest, org_id: int) -> HttpResponse:
    org = access_org_by_id(request.user, org_id)
    nodes = selectors.org_children(viewer=request.user, org=org)
    return TemplateResponse(request, "orgs/tree.html#children", {"nodes": nodes, "parent": org})


@login_required
def detail(request: HttpRequest, org_id: int) -> HttpResponse:
    org = access_org_by_id(request.user, org_id)
    viewer = request.user
    return TemplateResponse(
        request,
        "orgs/org_detail.html",
        {
            "nav_active": "orgs",
            "org": org,
            "crumbs": _crumbs(viewer, org)[:-1] + [{"label": org.display_name, "url": ""}],
            "children": selectors.org_children(viewer=viewer, org=org),
            "counts": selectors.org_subtree_counts(viewer=viewer, org=org),
            "links": selectors.org_links(viewer=viewer, org=org),
            "parent": org.parent
            if org.parent is not None and may(viewer, "org.view", org.parent)
            else None,
            "can_update": may(viewer, "org.update", org),
            "can_create": may(viewer, "org.create", org)
            and org.org_type != Organization.Type.GROUP,
            "can_move": may(viewer, "org.move", org) and org.parent_id is not None,
            "can_link": may(viewer, "org.link", org),
            "can_view_members": may(viewer, "member.view", org),
            "today": timezone.localdate(),
        },
    )


@login_required
def create(request: HttpRequest, org_id: int) -> HttpResponse:
    parent = access_org_by_id(request.user, org_id, action="org.create")
    form = OrgCreateForm(request.POST or None, parent=parent)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            org = services.org_create(
                actor=request.user,
                parent=parent,
                org_type=data.pop("org_type"),
                name=data.pop("name"),
                sector=data.pop("sector"),
                **data,
            )
        except ValidationError as exc:
            add_validation_error(form, exc)
        else:
            messages.success(request, f"已新建“{org.name}”")
            return redirect("orgs:detail", org.pk)
    return TemplateResponse(
        request,
        "orgs/org_form.html",
        {
            "nav_active": "orgs",
            "form": form,
            "title": f"在“{parent.display_name}”下新建组织",
            "crumbs": _crumbs(request.user, parent, ("新建下级组织", "")),
            "cancel_url": reverse("orgs:detail", args=[parent.pk]),
        },
    )


@login_required
def edit(request: HttpRequest, org_id: int) -> HttpResponse:
    org = access_org_by_id(request.user, org_id, action="org.update")
    initial = {f: getattr(org, f) for f in services.EDITABLE_FIELDS}
    form = OrgEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changed = {k: v for k, v in form.cleaned_data.items() if k in form.changed_data}
        try:
            services.org_update(actor=request.user, org=org, **changed)
        except ValidationError as exc:
            add_validation_error(form, exc)
        else:
            messages.success(request, "已保存" if changed else "没有需要保存的修改")
            return redirect("orgs:detail", org.pk)
    return TemplateResponse(
        request,
        "orgs/org_form.html",
        {
            "nav_active": "orgs",
            "form": form,
            "org": org,
            "title": f"修改“{org.display_name}”",
            "crumbs": _crumbs(request.user, org, ("修改信息", "")),
            "cancel_url": reverse("orgs:detail", args=[org.pk]),
        },
    )


@login_required
def move(request: HttpRequest, org_id: int) -> HttpResponse:
    org = access_org_by_id(request.user, org_id, action="org.move")
    form = OrgMoveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            target = access_org_by_id(
                request.user, form.cleaned_data["new_parent"], action="org.create"
            )
            services.org_move(actor=request.user, org=org, new_parent=target)
        except ValidationError as exc:
            add_validation_error(form, exc)
        else:
            messages.success(request, f"已将“{org.display_name}”调整到“{target.display_name}”之下")
            return redirect("orgs:detail", org.pk)
    return TemplateResponse(
        request,
        "orgs/org_move.html",
        {
            "nav_active": "orgs",
            "form": form,
            "org": org,
            "crumbs": _crumbs(request.user, org, ("调整隶属关系", "")),
        },
    )


PICKER_PURPOSES = {
    # purpose: (form field, action the viewer needs on a candidate)
    "move": ("new_parent", "org.create"),
    "link": ("partner", "org.view"),
    "grant": ("org", "grant.manage"),
}


@login_required
def picker(request: HttpRequest) -> HttpResponse:
    """Candidate organizations for a move target, a link partner or a grant (HTMX partial)."""
    purpose = request.GET.get("purpose", "move")
    if purpose not in PICKER_PURPOSES:
        purpose = "move"
    field, action = PICKER_PURPOSES[purpose]
    q = (request.GET.get("q") or request.GET.get("oq") or "").strip()[:50]
    subject = None
    if purpose != "grant":
        try:
            subject_id = int(request.GET.get("org", ""))
        except ValueError:
            subject_id = 0
        subject = access_org_by_id(request.user, subject_id)
    rows: list[Organization] = []
    if q:
        page = selectors.org_search(viewer=request.user, q=q, limit=30)
        rows = [o for o in page.items if may(request.user, action, o)]
        if subject is not None:
            rows = [o for o in rows if o.pk != subject.pk]
        if purpose == "move" and subject is not None:
            allowed = ALLOWED_PARENTS.get(subject.org_type, set())
            rows = [o for o in rows if o.org_type in allowed]
    return TemplateResponse(
        request, "orgs/picker.html", {"rows": rows[:15], "field": field, "q": q}
    )


@login_required
def link_create(request: HttpRequest, org_id: int) -> HttpResponse:
    lead = access_org_by_id(request.user, org_id, action="org.link")
    form = OrgLinkForm(request.POST or None, initial={"started_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            partner = access_org_by_id(request.user, data["partner"])
            services.org_link_create(
                actor=request.user,
                kind=data["kind"],
                lead=lead,
                partner=partner,
                started_on=data["started_on"],
                note=data["note"],
            )
        except ValidationError as exc:
            add_validation_error(form, exc)
        else:
            messages.success(request, f"已建立与“{partner.display_name}”的联建关系")
            return redirect("orgs:detail", lead.pk)
    return TemplateResponse(
        request,
        "orgs/link_form.html",
        {
            "nav_active": "orgs",
            "form": form,
            "org": lead,
            "crumbs": _crumbs(request.user, lead, ("新建联建关系", "")),
        },
    )


@login_required
def audit(request: HttpRequest) -> HttpResponse:
    roots = scope_roots(request.user, action="audit.view")
    if not roots:
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied("您没有查看审计日志的权限")
    action = request.GET.get("action", "")[:64]
    try:
        before = int(request.GET.get("before", "0")) or None
    except ValueError:
        before = None
    rows = core_selectors.audit_entries(roots=roots, action=action, before_id=before, limit=51)
    more = len(rows) > 50
    rows = rows[:50]
    context = {
        "nav_active": "audit",
        "entries": audit_entries_display(rows),
        "action": action,
        "next_before": rows[-1].id if more and rows else None,
        "crumbs": [{"label": "审计日志", "url": ""}],
        "action_groups": action_filter_groups(),
    }
    if _htmx(request) and before:
        return TemplateResponse(request, "orgs/audit_list.html#rows", context)
    return TemplateResponse(request, "orgs/audit_list.html", context)
