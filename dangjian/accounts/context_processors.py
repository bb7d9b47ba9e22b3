from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def workspace(request: HttpRequest) -> dict[str, Any]:
    """The viewer's working grant and sidebar, for every page."""
    from dangjian.accounts.workspace import workspace_for

    return {"workspace": workspace_for(request)}
