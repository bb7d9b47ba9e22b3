"""The production server, as a county runs it: every sidebar page of every demo login loads.

``dangjian serve`` (gunicorn + the supervised background worker) with DANGJIAN_ENV=production
and DEBUG off, static files from the hashed manifest built by collectstatic, a fresh SQLite
database seeded with the small demo county, on a free loopback port. Debian's Chromium logs
in as each demo account and opens every page its sidebar offers: no document may answer
4xx/5xx, every stylesheet and script must load (200) and apply, and the console stays clean.

This is the test that would have caught production mode answering 500 on every HTML page.
It runs on SQLite only (its own file): skipped in the PostgreSQL pass.
"""

from __future__ import annotations

import base64
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "demo2026"  # dangjian.demo.accounts.PASSWORD
EXTRA_SECRETARY_PREFIX = "shuji"  # dangjian.demo.accounts.EXTRA_SECRETARY_PREFIX

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        bool(os.environ.get("DATABASE_URL")),
        reason="生产服务器测试使用自己的 SQLite 文件，PostgreSQL 轮次跳过",
    ),
]


@dataclass
class Server:
    url: str
    log: Path
    logins: list[str]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(argv: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603 - our own interpreter and commands
        [sys.executable, "-m", "dangjian", *argv],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _finish(process: subprocess.Popen[str], log: Path) -> str:
    """Wait for a dangjian command; on failure the test fails with its output."""
    output, _ = process.communicate(timeout=600)
    argv = " ".join(str(a) for a in process.args[3:])  # type: ignore[index]
    with log.open("a") as f:
        f.write(f"$ dangjian {argv}\n{output}\n")
    if process.returncode:
        pytest.fail(f"dangjian {argv} 失败：\n{output}")
    return output


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, no proxy
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"服务器已退出（{process.returncode}）：\n{log.read_text()[-4000:]}")
        try:
            with opener.open(url + "/accounts/login/", timeout=10) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    pytest.fail(f"服务器 3 分钟内没有响应：\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="module")
def production_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    var = tmp_path_factory.mktemp("production-var")
    log = var / "server.log"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DANGJIAN_", "PYTEST_", "SECURE_", "API_DOCS"))
        and k not in {"DATABASE_URL", "DEBUG", "TRUSTED_PROXY_COUNT", "ALLOWED_HOSTS"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DANGJIAN_VAR_DIR=str(var),
        SECRET_KEY=secrets.token_urlsafe(50),
        FIELD_ENCRYPTION_KEY=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        ALLOWED_HOSTS="127.0.0.1",
        PUBLIC_BASE_URL="https://dj.example.gov.cn",
        WEB_CONCURRENCY="2",
        LOG_FORMAT="text",
    )
    production = {**env, "DANGJIAN_ENV": "production", "DEBUG": "0"}
    # collectstatic needs no database: it runs beside migrate.
    static = _start(["collectstatic", "--noinput"], production)
    _finish(_start(["migrate", "--noinput"], production), log)
    # The seed refuses a production environment: it runs in development mode on the same files.
    _finish(_start(["seed", "--scale", "county", "--seed", "42", "--small"], env), log)
    _finish(static, log)
    listed = [
        line.split()[0]
        for line in _finish(_start(["demo_logins"], env), log).splitlines()
        if line[:1].isascii() and line[:1].isalpha() and not line.startswith("http")
    ]
    # Every persona (role), and one of the extra village secretaries (same role and pages as
    # village_secretary, in township B): each extra login costs a dozen page loads.
    extras = [u for u in listed if u.startswith(EXTRA_SECRETARY_PREFIX)]
    logins = [u for u in listed if u not in extras] + extras[-1:]
    assert {"county_admin", "township_a", "member", "grid_worker"} <= set(logins)

    port = _free_port()
    with log.open("a") as out:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and command
            [sys.executable, "-m", "dangjian", "serve", "--bind", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=production,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process, log)
        yield Server(url=url, log=log, logins=logins)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def chromium(browser: object) -> object:
    """The session's one Chromium (tests/e2e/conftest.py): a second Playwright in the same
    worker would find the first one's event loop running and refuse to start."""
    return browser


@dataclass
class Problems:
    """Everything that went wrong while a page loaded, as readable lines."""

    lines: list[str] = field(default_factory=list)
    where: str = ""

    def add(self, text: str) -> None:
        self.lines.append(f"[{self.where}] {text}")


def _watch(page, problems: Problems) -> None:  # type: ignore[no-untyped-def]
    def on_response(response) -> None:  # type: ignore[no-untyped-def]
        kind = response.request.resource_type
        if response.status >= 400 or (kind in {"stylesheet", "script"} and response.status != 200):
            problems.add(f"{response.status} {kind} {response.url}")

    page.on("response", on_response)
    page.on("requestfailed", lambda r: problems.add(f"请求失败 {r.url} {r.failure}"))
    page.on(
        "console",
        lambda m: problems.add(f"console.{m.type}: {m.text}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: problems.add(f"脚本错误：{e}"))


STYLE_CHECK = """() => {
  const sheets = [...document.styleSheets].filter(s => s.href);
  const rules = sheets.map(s => { try { return s.cssRules.length } catch (e) { return -1 } });
  return {hrefs: sheets.map(s => s.href), rules,
          tabler: getComputedStyle(document.body).getPropertyValue('--tblr-primary').trim()};
}"""


def _check_styles(page, problems: Problems) -> None:  # type: ignore[no-untyped-def]
    info = page.evaluate(STYLE_CHECK)
    if not any("/static/vendor/tabler/tabler.min." in h for h in info["hrefs"]):
        problems.add(f"没有加载带指纹的 Tabler 样式：{info['hrefs']}")
    if any(n <= 0 for n in info["rules"]):
        problems.add(
            f"样式表为空或无法读取：{list(zip(info['hrefs'], info['rules'], strict=True))}"
        )
    if not info["tabler"]:
        problems.add("Tabler 的 CSS 变量没有生效")


def test_every_sidebar_page_of_every_demo_login_loads_on_the_production_server(
    production_server: Server, chromium, screenshot_dir: Path
) -> None:  # type: ignore[no-untyped-def]
    problems = Problems()
    visited: dict[str, int] = {}
    for username in production_server.logins:
        context = chromium.new_context(
            base_url=production_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900}
        )
        page = context.new_page()
        _watch(page, problems)
        problems.where = f"{username} 登录"
        page.goto("/accounts/login/", wait_until="networkidle")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        if "/accounts/login/" in page.url:
            problems.add(f"登录失败，仍在 {page.url}")
            context.close()
            continue
        links = page.eval_on_selector_all(
            "#sidebar-menu a.nav-link[href]:not(.disabled)",
            "els => els.map(e => e.getAttribute('href'))",
        )
        if len(links) < 2:
            problems.add(f"侧栏只有 {links}")
        for href in dict.fromkeys(links):
            problems.where = f"{username} {href}"
            # networkidle: the fragments HTMX loads after the page (alerts, to-dos) are checked
            # too, instead of being cut off by the next navigation.
            response = page.goto(href, wait_until="networkidle")
            if response is None or response.status != 200:
                problems.add(f"页面状态 {response.status if response else '无响应'}")
                continue
            if page.locator("#sidebar-menu").count() != 1:
                problems.add("页面没有侧栏（不是正常页面）")
            _check_styles(page, problems)
            visited[username] = visited.get(username, 0) + 1
        if username == "county_admin":
            # The OpenAPI page in production: for logged-in users, its assets from the manifest.
            problems.where = f"{username} /api/v1/docs"
            response = page.goto("/api/v1/docs", wait_until="networkidle")
            if response is None or response.status != 200:
                problems.add(f"API 文档状态 {response.status if response else '无响应'}")
            else:
                # Swagger UI fetches the schema after its script runs: wait until it shows it.
                page.wait_for_selector(".swagger-ui .info .title", timeout=60_000)
                page.wait_for_load_state("networkidle")
            page.goto("/")
            page.screenshot(path=str(screenshot_dir / "production_server_home.png"))
        context.close()

    # Anonymous visitors: the login page with its styles; the API docs are not public.
    context = chromium.new_context(base_url=production_server.url, locale="zh-CN")
    page = context.new_page()
    _watch(page, problems)
    problems.where = "匿名 /accounts/login/"
    page.goto("/accounts/login/")
    _check_styles(page, problems)
    problems.where = "匿名 /api/v1/openapi.json"
    hidden = page.request.get("/api/v1/openapi.json")
    assert hidden.status == 404
    context.close()

    assert problems.lines == [], "\n".join(problems.lines)
    assert sorted(visited) == sorted(production_server.logins)
    assert sum(visited.values()) >= 5 * len(production_server.logins)
    server_log = production_server.log.read_text()
    assert "Traceback" not in server_log
    assert " ERROR " not in server_log
    assert "后台任务进程已启动" in server_log
