"""Production mode: the static manifest builds, settings come from the environment, API docs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_DIRS = [ROOT / "dangjian"]
STATIC_TAG = re.compile(r"""\{%\s*static\s+['"]([^'"]+)['"]\s*%\}""")


def test_collectstatic_builds_the_production_manifest(settings, tmp_path) -> None:
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    # Raises (and exits 1 on the command line) when a file names one that was not copied.
    call_command("collectstatic", "--noinput", verbosity=0)

    manifest = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
    hashed_css = manifest["vendor/tabler/tabler.min.css"]
    assert hashed_css != "vendor/tabler/tabler.min.css"
    # The source map reference was rewritten to the hashed map, which exists.
    css = (tmp_path / hashed_css).read_text()
    (map_name,) = re.findall(r"sourceMappingURL=(\S+?)\s*\*/", css)
    assert (tmp_path / "vendor/tabler" / map_name).is_file()
    # Every file a template names is in the manifest: a missing one is a 500 in production.
    named = {
        m
        for path in ROOT.joinpath("dangjian").rglob("*.html")
        for m in STATIC_TAG.findall(path.read_text())
    }
    assert named, "no {% static %} tag found: the pattern is wrong"
    assert sorted(named - manifest.keys()) == []
    assert "ninja/swagger-ui-bundle.js" in manifest


def production_settings(**env: str) -> dict[str, object]:
    """config.settings as a production process sees it, in a fresh interpreter."""
    code = (
        "import json, config.settings as s;"
        "print(json.dumps({k: getattr(s, k) for k in ("
        "'DEBUG', 'API_DOCS_PUBLIC', 'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS',"
        "'SECURE_HSTS_PRELOAD', 'SECURE_SSL_REDIRECT', 'SECURE_PROXY_SSL_HEADER',"
        "'TRUSTED_PROXY_COUNT', 'CSRF_TRUSTED_ORIGINS', 'SESSION_COOKIE_SECURE',"
        "'CSRF_COOKIE_SECURE')} | {'STATIC': s.STORAGES['staticfiles']['BACKEND']}))"
    )
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECURE_", "API_"))}
    base.pop("TRUSTED_PROXY_COUNT", None)
    base.pop("CSRF_TRUSTED_ORIGINS", None)
    base.update(
        DANGJIAN_ENV="production",
        SECRET_KEY="k" * 50,
        FIELD_ENCRYPTION_KEY="x" * 43 + "=",
        PUBLIC_BASE_URL="https://dj.example.gov.cn",
        DANGJIAN_VAR_DIR=os.environ.get("DANGJIAN_VAR_DIR", str(ROOT / "var")),
        **env,
    )
    out = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], cwd=ROOT, env=base, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def test_production_defaults_are_safe() -> None:
    s = production_settings()
    assert s["DEBUG"] is False
    assert s["API_DOCS_PUBLIC"] is False
    assert s["SECURE_HSTS_SECONDS"] == 31536000
    assert s["SESSION_COOKIE_SECURE"] is True
    assert s["CSRF_COOKIE_SECURE"] is True
    assert s["STATIC"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    # No proxy configured: no header is trusted for the scheme or the address.
    assert s["TRUSTED_PROXY_COUNT"] == 0
    assert s["SECURE_PROXY_SSL_HEADER"] is None


def test_the_tls_proxy_settings_come_from_the_environment() -> None:
    s = production_settings(
        TRUSTED_PROXY_COUNT="1",
        CSRF_TRUSTED_ORIGINS="https://dj.example.gov.cn, https://dj2.example.gov.cn",
        SECURE_HSTS_SECONDS="600",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="1",
        SECURE_HSTS_PRELOAD="true",
        SECURE_SSL_REDIRECT="1",
        API_DOCS_PUBLIC="1",
    )
    assert s["TRUSTED_PROXY_COUNT"] == 1
    assert s["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert s["CSRF_TRUSTED_ORIGINS"] == ["https://dj.example.gov.cn", "https://dj2.example.gov.cn"]
    assert s["SECURE_HSTS_SECONDS"] == 600
    assert s["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert s["SECURE_HSTS_PRELOAD"] is True
    assert s["SECURE_SSL_REDIRECT"] is True
    assert s["API_DOCS_PUBLIC"] is True
    other = production_settings(TRUSTED_PROXY_COUNT="1", SECURE_PROXY_SSL_HEADER="X-Scheme")
    assert other["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_SCHEME", "https"]


@pytest.mark.parametrize("url", ["/api/v1/docs", "/api/v1/openapi.json"])
def test_api_docs_are_hidden_from_anonymous_visitors_when_not_public(
    client, settings, url: str
) -> None:
    settings.API_DOCS_PUBLIC = False
    response = client.get(url)
    assert response.status_code == 404
    assert "openapi" not in response.content.decode().lower()


@pytest.mark.parametrize("url", ["/api/v1/docs", "/api/v1/openapi.json"])
def test_api_docs_are_shown_to_a_logged_in_user_when_not_public(
    login, people, settings, url: str
) -> None:
    settings.API_DOCS_PUBLIC = False
    assert login(people.member).get(url).status_code == 200


@pytest.mark.django_db
def test_api_docs_are_public_while_developing(client, settings) -> None:
    settings.API_DOCS_PUBLIC = True
    assert client.get("/api/v1/openapi.json").status_code == 200
    assert client.get("/api/v1/docs").status_code == 200


def test_gunicorn_logs_through_the_project_logging(settings) -> None:
    from config import gunicorn

    config = gunicorn.logconfig_dict
    # The same handlers, formatters and filters as every other log line (personal numbers are
    # masked by a filter on the console handler) ...
    assert config["handlers"] == settings.LOGGING["handlers"]
    assert config.get("filters") == settings.LOGGING.get("filters")
    assert config["root"] == settings.LOGGING["root"]
    # ... reached by propagation: gunicorn's own stream handlers are dropped.
    for name in ("gunicorn.access", "gunicorn.error"):
        assert config["loggers"][name] == {"level": "INFO", "handlers": [], "propagate": True}
    # No separate access log file: lines would bypass the filters.
    assert not hasattr(gunicorn, "accesslog")
