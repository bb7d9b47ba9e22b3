"""Aim the API fuzzer's valid cases at real 发展党员 rows (see tests/test_openapi_fuzz.py)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

_ids = itertools.count(7000)


PREFIX = "/api/v1/recruitment/"


def rows(people: Any, tree: Any) -> dict[str, Any]:
    """An activist (the repeatable 培养教育考察 can always be recorded again, and the talk record
    exists), an applicant to stop, and two full members to act as mentors."""
    from dangjian.members.tests.factories import make_member
    from dangjian.recruitment.tests.factories import make_applicant, walk

    actor, branch = people.county_admin, tree.village_a1
    elders = [make_member(actor, branch, name=f"介绍人{i}").pk for i in range(2)]
    activist = make_applicant(actor, branch, name="模糊积极分子", applied_on=dt.date(2024, 1, 5))
    walk(actor, activist, upto=6, people=elders)
    stoppable = make_applicant(actor, branch, name="待终止", applied_on=dt.date(2026, 10, 1))
    return {
        "branch": branch.pk,
        "township": tree.township_a.pk,
        "activist": activist.pk,
        "stoppable": stoppable.pk,
    }


def aim(case: Any, data: Any, x: dict[str, Any], real: Any) -> None:
    path, method = case.operation.path, case.method.upper()
    if not path.startswith("/api/v1/recruitment/"):
        return
    from dangjian.members.tests.factories import make_id

    today = dt.date.today()  # noqa: DTZ011
    params = case.path_parameters or {}
    if "applicant_id" in params and real("applicant_id"):
        params["applicant_id"] = x["stoppable"] if path.endswith("/stop") else x["activist"]
    if "kind" in params and real("kind"):
        params["kind"] = "talk"
    if "year" in params and real("year"):
        params["year"] = today.year
    queries = {
        "/api/v1/recruitment/board": {"org": x["branch"]},
        "/api/v1/recruitment/alerts": {"org": x["branch"]},
        "/api/v1/recruitment/overview": {"org": x["township"], "year": today.year},
        "/api/v1/recruitment/applicants": {"org": x["township"]},
    }
    if method == "GET" and path in queries and real("recruitment_query"):
        case.query = queries[path]
    bodies = {
        ("POST", "/api/v1/recruitment/applicants"): lambda: {
            "org_id": x["branch"], "name": "模糊申请人", "applied_on": today.isoformat(),
            "id_number": make_id(dt.date(1995, 6, 1), n=next(_ids)), "education": "21", "job": "1",
        },
        ("POST", "/api/v1/recruitment/applicants/{applicant_id}/steps"): lambda: {
            "number": 6, "done_on": today.isoformat(), "note": "半年考察",
        },
        ("POST", "/api/v1/recruitment/applicants/{applicant_id}/stop"): lambda: {
            "reason": "本人申请暂缓",
        },
        ("PUT", "/api/v1/recruitment/plans/{org_id}/{year}"): lambda: {
            "quota": 5, "farmer_quota": 2,
        },
    }  # fmt: skip
    make = bodies.get((method, path))
    if make is not None and real("recruitment_body"):
        case.body = make()
