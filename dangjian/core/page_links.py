"""What a rendered page offers to go to next: its sidebar, the parts it loads, its links.

Read from the HTML the base layout renders (``components/sidebar.html``), so a walk or a
benchmark follows what a user sees rather than a hand-kept list of pages.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import lxml.html

# Links a walk never follows: leaving the session, files to download, machine endpoints.
SKIP_LINK = re.compile(
    r"^/(admin|api|static|media)/|logout|/export|download|\.xlsx|\.docx|\.pdf|/letter|/file"
)


def _doc(html: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(html or "<html></html>")


def sidebar_urls(html: str) -> list[str]:
    """The sidebar's menu entries (``#sidebar-menu a.nav-link``), in order, without repeats."""
    urls: list[str] = []
    for a in _doc(html).xpath('//*[@id="sidebar-menu"]//a[@href]'):
        if "nav-link" not in (a.get("class") or "").split():
            continue
        href = a.get("href")
        if href and href not in urls:
            urls.append(href)
    return urls


def lazy_urls(html: str, *, base: str = "/") -> list[str]:
    """Parts the page loads by itself: as soon as it opens (``hx-trigger="load"``) or when the
    part scrolls into view (``intersect``, ``revealed``) — a phone loads a folded panel later,
    a desktop at once."""
    return [
        urljoin(base, el.get("hx-get"))
        for el in _doc(html).xpath("//*[@hx-get][@hx-trigger]")
        if re.match(r"\s*(load|intersect|revealed)\b", el.get("hx-trigger", ""))
    ]


def same_site_links(html: str, *, base: str = "/") -> list[str]:
    """The page's ``<a href>`` on this site (path and query), skipping ``SKIP_LINK``."""
    out: list[str] = []
    for a in _doc(html).xpath("//a[@href]"):
        parts = urlsplit(urljoin(base, a.get("href", "")))
        if parts.scheme or parts.netloc or not parts.path.startswith("/"):
            continue
        if SKIP_LINK.search(parts.path):
            continue
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        if target not in out:
            out.append(target)
    return out
