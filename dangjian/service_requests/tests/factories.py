"""Build requests through the services: a grid with a worker, members, photos, and requests
driven to any state of the loop."""

from __future__ import annotations

import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from dangjian.grid.models import Grid
from dangjian.grid.tests.factories import make_grid
from dangjian.members.models import Member
from dangjian.service_requests import services
from dangjian.service_requests.models import RequestCategory, ServiceRequest


def photo(name: str = "evidence.jpg", color: str = "green") -> SimpleUploadedFile:
    """A small real JPEG upload."""
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(buf, format="JPEG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")


def category(code: str = "policy") -> RequestCategory:
    """A category loaded by migration 0002 (政策咨询 by default: 3 working days, no photo)."""
    return RequestCategory.objects.get(code=code)


def submit(grid: Grid, **kw: Any) -> tuple[ServiceRequest, str]:
    data: dict[str, Any] = {
        "category": category(kw.pop("category_code", "policy")),
        "grid": grid,
        "description": "村口路灯不亮，晚上出行不便",
        "address": "甲村村口",
        "resident_name": "王大妈",
        "resident_phone": "13912345678",
    }
    data.update(kw)
    return services.request_submit(**data)


def drive(req: ServiceRequest, target: str, *, people: Any, member: Member) -> ServiceRequest:
    """Drive a fresh request to ``target`` along the usual path (secretary dispatches ``member``)."""
    worker, branch = people.grid_worker, people.village_secretary
    path: dict[str, list[Any]] = {
        "submitted": [],
        "claimed": ["claim"],
        "dispatched": ["claim", "dispatch"],
        "in_progress": ["claim", "dispatch", "start"],
        "waiting": ["claim", "dispatch", "wait"],
        "escalated": ["escalate"],
        "transferred": ["transfer"],
        "reported": ["claim", "dispatch", "report"],
        "reopened": ["claim", "dispatch", "report", "unsatisfied"],
        "rated": ["claim", "dispatch", "report", "satisfied"],
        "closed": ["claim", "dispatch", "report", "satisfied", "close"],
        "closed_unresolved": ["close_unresolved"],
    }
    token = getattr(req, "_raw_token", None)
    for step in path[target]:
        if step == "claim":
            req = services.request_claim(actor=worker, request=req)
        elif step == "dispatch":
            req = services.request_dispatch(actor=branch, request=req, members=[member])
        elif step == "start":
            req = services.request_start(actor=branch, request=req)
        elif step == "wait":
            req = services.request_wait(actor=branch, request=req, note="请补充具体位置")
        elif step == "escalate":
            req = services.request_escalate(actor=people.township_a, request=req, note="督办")
        elif step == "transfer":
            other = Grid.objects.exclude(pk=req.grid_id).filter(org=req.org).first() or make_grid(
                req.org, "转入网格"
            )
            req = services.request_transfer(
                actor=branch, request=req, grid=other, note="不属本网格"
            )
        elif step == "report":
            req = services.request_report(
                actor=branch, request=req, note="已修复", photos=[photo()]
            )
        elif step in ("satisfied", "unsatisfied"):
            assert token, "drive() needs req._raw_token to rate"
            req = services.request_rate(token=token, rating=step, reasons="还没修好")
        elif step == "close":
            req = services.request_close(actor=branch, request=req)
        elif step == "close_unresolved":
            req = services.request_close_unresolved(
                actor=branch, request=req, reason="not_responsible", note="属供电所职责"
            )
    req.refresh_from_db()
    req._raw_token = token  # type: ignore[attr-defined]
    return req
