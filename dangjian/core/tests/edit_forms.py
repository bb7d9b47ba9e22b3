"""Test helper for posting to edit forms, which refuse a post without the current row version."""

from __future__ import annotations

import re
from typing import Any

from dangjian.core.forms import ROW_VERSION_FIELD


def row_version_on(client: Any, url: str) -> str:
    """The stale-form token of the first edit form on a page, as a browser would send it back."""
    html = client.get(url).content.decode()
    found = re.search(rf'name="{ROW_VERSION_FIELD}" value="([0-9a-f]+)"', html)
    assert found, f"no {ROW_VERSION_FIELD} on {url}"
    return found.group(1)
