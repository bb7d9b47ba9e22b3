"""Every stored file is served through its row's gate: a walk over every model with a file field.

The models come from ``apps.get_models()``, so a new model with a FileField/ImageField fails
here until it registers a gated view (``core.files.register_file_gate``) and this file learns
how to build one of its rows. For each: the personas who may see the row get the bytes with
private, no-sniff, sandboxed headers; a persona of another scope gets 404; an anonymous user is
sent to the login page and never gets the bytes.

Some rows are also served through a capability link (a resident's private link, no account):
``core.files.register_link_file_gate``. Each such route is walked too: the link holder gets
the bytes with the same headers; a row the link may not show, another row's link and an
unknown link get 404.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dangjian.core.files import (
    file_fields,
    file_gates,
    file_url,
    link_file_gates,
    link_file_url,
)
from dangjian.core.tests.sample_files import pdf_bytes, png_bytes

pytestmark = pytest.mark.django_db

PNG = png_bytes()
PDF = pdf_bytes()
DOCX = b"PK\x03\x04" + b"\x00" * 60  # only the first bytes are read to tell the type
BACKEND = "dangjian.accounts.backends.UsernameOrMobileBackend"


def _file(name: str, data: bytes) -> ContentFile:
    return ContentFile(data, name=name)


# Each builder returns (row, personas who may fetch it, personas who may not).
Built = tuple[Any, list[str], list[str]]


def _meeting_file(tree: Any, people: Any) -> Built:
    from dangjian.meetings.models import MeetingFile
    from dangjian.meetings.tests.factories import make_meeting

    meeting = make_meeting(people.village_secretary, tree.village_a1)
    row = MeetingFile.objects.create(meeting=meeting, file=_file("合影.png", PNG))
    return row, ["village_secretary", "township_a", "county_admin"], ["township_b", "nobody"]


def _points_claim(tree: Any, people: Any) -> Built:
    from dangjian.members.models import Member
    from dangjian.members.tests.factories import make_member
    from dangjian.points.models import PointsClaim, PointsItem

    me = make_member(people.county_admin, tree.village_a1, name="陈秀英", male=False)
    Member.objects.filter(pk=me.pk).update(user=people.member)
    row = PointsClaim.objects.create(
        member=me,
        item=PointsItem.objects.filter(scheme__scope__isnull=True).first(),
        occurred_on=dt.date(2026, 5, 4),
        description="参加志愿服务",
        evidence=_file("志愿服务.png", PNG),
        org_path=me.org_path,
    )
    # The claimant sees their own evidence; the branch reviews it.
    return row, ["member", "village_secretary"], ["township_b", "grid_worker", "nobody"]


def _remedy(tree: Any, people: Any) -> Built:
    from dangjian.findings.models import Remedy
    from dangjian.findings.services import finding_create

    finding = finding_create(
        actor=people.village_secretary,
        org=tree.village_a1,
        title="三会一课记录不全",
        found_on=timezone.localdate(),
    )
    row = Remedy.objects.create(
        finding=finding,
        measure="补齐记录",
        owner_name="赵志刚",
        deadline=timezone.localdate() + dt.timedelta(days=30),
        evidence_file=_file("整改.pdf", PDF),
    )
    return row, ["village_secretary", "township_a", "inspector"], ["township_b", "member"]


def _dossier_item(tree: Any, people: Any) -> Built:
    from dangjian.members.models import DossierItem, DossierRequirement
    from dangjian.members.tests.factories import make_member

    member = make_member(people.county_admin, tree.village_a1)
    row = DossierItem.objects.create(
        member=member,
        requirement=DossierRequirement.objects.first(),
        present=True,
        scan=_file("入党志愿书.pdf", PDF),
    )
    return row, ["village_secretary", "township_a"], ["township_b", "grid_worker", "member"]


def _document_template(tree: Any, people: Any) -> Built:
    from dangjian.recruitment.models import DocumentKind, DocumentTemplate

    row = DocumentTemplate.objects.create(
        kind=DocumentKind.NOTICE,
        scope=tree.township_a,
        scope_path=tree.township_a.path,
        version=1,
        file=_file("notice-v1.docx", DOCX),
    )
    # Templates are kept by those who approve recruitment on the scope (not the branch).
    return row, ["township_a", "county_admin"], ["township_b", "village_secretary"]


def _step_file(tree: Any, people: Any) -> Built:
    from dangjian.recruitment import rules
    from dangjian.recruitment.models import StepFile, StepRecord
    from dangjian.recruitment.tests.factories import make_applicant

    applicant = make_applicant(people.village_secretary, tree.village_a1)
    record = StepRecord.objects.get(applicant=applicant, number=rules.APPLY)
    row = StepFile.objects.create(
        record=record, file=_file("申请书.pdf", PDF), org_path=applicant.org_path
    )
    return row, ["village_secretary", "township_a"], ["township_b", "member", "grid_worker"]


def _request_photo(tree: Any, people: Any) -> Built:
    from dangjian.grid.tests.factories import make_grid
    from dangjian.service_requests.models import RequestPhoto
    from dangjian.service_requests.tests.factories import submit

    grid = make_grid(tree.village_a1, "第一网格", workers=[people.grid_worker])
    req, _ = submit(grid)
    row = RequestPhoto.objects.create(
        request=req, stage=RequestPhoto.Stage.SUBMIT, file=_file("现场.png", PNG)
    )
    return row, ["grid_worker", "village_secretary"], ["township_b", "member", "nobody"]


BUILDERS: dict[str, Callable[[Any, Any], Built]] = {
    "meetings.meetingfile": _meeting_file,
    "points.pointsclaim": _points_claim,
    "findings.remedy": _remedy,
    "members.dossieritem": _dossier_item,
    "recruitment.documenttemplate": _document_template,
    "recruitment.stepfile": _step_file,
    "service_requests.requestphoto": _request_photo,
}

STORED_FILE_FIELDS = sorted(
    (model._meta.label_lower, field) for model in apps.get_models() for field in file_fields(model)
)


def test_the_walk_finds_the_models_we_know_store_files():
    # A guard on the discovery itself: an empty walk would pass everything below.
    assert len(STORED_FILE_FIELDS) >= 7
    assert ("meetings.meetingfile", "file") in STORED_FILE_FIELDS


@pytest.mark.parametrize(("label", "field"), STORED_FILE_FIELDS)
def test_every_stored_file_field_has_a_registered_gate(label, field):
    gate = file_gates().get((label, field))
    assert gate is not None, f"{label}.{field} stores files but registers no gated view"
    assert label in BUILDERS, f"{label}: teach tests/test_private_files.py to build one"


def _client(user: Any = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user, backend=BACKEND)
    return client


def _body(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


@pytest.mark.parametrize(("label", "field"), STORED_FILE_FIELDS)
def test_a_stored_file_goes_only_to_those_who_may_see_its_row(
    label, field, tree, people, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    row, allowed, denied = BUILDERS[label](tree, people)
    url = file_url(row, field)
    assert url
    assert "/media/" not in url
    stored = getattr(row, field)
    with stored.open("rb") as fh:
        data = fh.read()

    for name in allowed:
        response = _client(getattr(people, name)).get(url)
        assert response.status_code == 200, (label, name)
        assert _body(response) == data
        assert response["Cache-Control"] == "private, no-store"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "default-src 'none'" in response["Content-Security-Policy"]
        assert response["Content-Disposition"].startswith(("inline;", "attachment;"))
        assert not response["Content-Type"].startswith("text/")

    for name in denied:
        response = _client(getattr(people, name)).get(url)
        assert response.status_code == 404, (label, name)
        assert data not in _body(response)

    anonymous = _client().get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("accounts:login"))
    assert data not in _body(anonymous)


def test_no_public_media_mount(client, tree, people, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    row, allowed, _ = _meeting_file(tree, people)
    client.force_login(getattr(people, allowed[0]), backend=BACKEND)
    assert client.get(f"/media/{row.file.name}").status_code == 404


# --- capability-link gates ---------------------------------------------------------------------

# Each builder returns (row, the link's token, rows of the same kind the link must not open,
# tokens that must not open the row).
LinkBuilt = tuple[Any, str, list[Any], list[str]]


def _resident_photo(tree: Any, people: Any) -> LinkBuilt:
    from dangjian.grid.tests.factories import make_grid
    from dangjian.service_requests.models import RequestPhoto
    from dangjian.service_requests.tests.factories import submit

    grid = make_grid(tree.village_a1, "第一网格", workers=[people.grid_worker])
    req, token = submit(grid)
    other, other_token = submit(grid, description="另一件事")
    row = RequestPhoto.objects.create(
        request=req, stage=RequestPhoto.Stage.REPORT, round=1, public=True,
        file=_file("办结.png", PNG),
    )  # fmt: skip
    hidden = [
        # Not marked 对群众公开; the resident's own upload; another request's public photo.
        RequestPhoto.objects.create(request=req, stage="report", round=1, file=_file("a.png", PNG)),
        RequestPhoto.objects.create(request=req, stage="submit", file=_file("b.png", PNG)),
        RequestPhoto.objects.create(
            request=other, stage="report", round=1, public=True, file=_file("c.png", PNG)
        ),
    ]
    return row, token, hidden, [other_token, "x" * 32]


LINK_BUILDERS: dict[str, Callable[[Any, Any], LinkBuilt]] = {
    "public_requests:photo": _resident_photo,
}
LINK_GATES = sorted(link_file_gates())


def test_every_link_gate_is_walked():
    assert "public_requests:photo" in LINK_GATES
    for name in LINK_GATES:
        assert name in LINK_BUILDERS, f"{name}: teach tests/test_private_files.py to build one"


@pytest.mark.parametrize("url_name", LINK_GATES)
def test_a_link_gated_file_goes_only_to_the_holder_of_its_link(
    url_name, tree, people, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    row, token, hidden, wrong_tokens = LINK_BUILDERS[url_name](tree, people)
    gate = link_file_gates()[url_name]
    with getattr(row, gate.field).open("rb") as fh:
        data = fh.read()

    response = _client().get(link_file_url(url_name, token, row))
    assert response.status_code == 200
    assert _body(response) == data
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert not response["Content-Type"].startswith("text/")

    for other in hidden:
        assert _client().get(link_file_url(url_name, token, other)).status_code == 404
    for wrong in wrong_tokens:
        response = _client().get(link_file_url(url_name, wrong, row))
        assert response.status_code == 404
        assert data not in _body(response)
    # Staff logged in without the link get nothing through this route either.
    staff = _client(people.village_secretary).get(link_file_url(url_name, wrong_tokens[-1], row))
    assert staff.status_code == 404
