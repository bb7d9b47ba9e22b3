"""Real-browser tests: Playwright driving Debian's Chromium (never a downloaded browser)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the live server's DB access is
# in its own thread, and the test's own ORM calls happen between browser steps.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser(django_db_setup, django_db_blocker) -> Iterator[object]:  # type: ignore[no-untyped-def]
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(f"找不到 Chromium（{CHROMIUM}）：请先运行 make browser 安装 Debian 的 chromium")
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Once Playwright's event loop runs in this thread, asgiref hands Django another connection
    # wrapper, one without the rows serialized at test-database creation: serialized rollback
    # would then silently restore nothing after a flushing test (code tables, categories gone).
    # Carry the serialized data over to the wrapper the tests will use.
    with django_db_blocker.unblock():
        serialized = {
            alias: getattr(connections[alias], "_test_serialized_contents", None)
            for alias in connections
        }
    with sync_playwright() as pw:
        for alias, data in serialized.items():
            if data is not None and not hasattr(connections[alias], "_test_serialized_contents"):
                connections[alias]._test_serialized_contents = data  # type: ignore[attr-defined]
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield b
        b.close()


@pytest.fixture
def screenshot_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def page_for(browser, live_server):  # type: ignore[no-untyped-def]
    """A new browser page at a given width, with base URL set to the live server."""
    contexts = []

    def _page(width: int = 1280, height: int = 900):  # type: ignore[no-untyped-def]
        ctx = browser.new_context(
            viewport={"width": width, "height": height},
            locale="zh-CN",
            base_url=live_server.url,
            is_mobile=width < 500,
            has_touch=width < 500,
        )
        contexts.append(ctx)
        return ctx.new_page()

    yield _page
    for ctx in contexts:
        ctx.close()
