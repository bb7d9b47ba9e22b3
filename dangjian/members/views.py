"""Member pages (being built in this change)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse


def _pending(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


member_list = member_new = member_detail = member_edit = member_reveal_view = _pending
member_status = member_dossier = dossier_gaps = _pending
