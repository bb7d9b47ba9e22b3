"""Logs are a data store: no ID number or phone reaches a log line, whoever logs it."""

from __future__ import annotations

import http.client
import io
import json
import logging
import threading
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer
from gunicorn.config import AccessLogFormat

from dangjian.core.logfilter import MaskedJsonFormatter, PersonalDataFilter
from dangjian.core.redaction import redact_personal_numbers

ID = "11010119900307123X"
OLD_ID = "110101900307123"
MOBILE = "13912345678"


def _handler(formatter: logging.Formatter) -> tuple[logging.Handler, io.StringIO]:
    """A handler built like settings.LOGGING's console handler, writing to a buffer."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(PersonalDataFilter())
    return handler, stream


@pytest.fixture
def text_log() -> Iterator[io.StringIO]:
    handler, stream = _handler(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    handler, stream = _handler(
        MaskedJsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s")  # as in settings
    )
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)


def _assert_clean(text: str) -> None:
    assert text.strip(), "nothing was logged"
    for number in (ID, ID.lower(), OLD_ID, MOBILE):
        assert number not in text


# --- the patterns --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (f"q={ID}", "q=******************"),
        ("q=110101199003071234&x=1", "q=******************&x=1"),
        (f"旧号码 {OLD_ID} 。", "旧号码 ****************** 。"),
        (f"电话{MOBILE}", "电话139****5678"),
        ("电话 139-1234-5678", "电话 139****5678"),
        ("+8613912345678", "139****5678"),
        ("q=%2013912345678", "q=%20139****5678"),
        (f"q=%20{ID}", "q=%20******************"),
        ("座机 0311-12345678", "座机 031********78"),
    ],
)
def test_personal_numbers_are_masked_in_text(raw: str, expected: str) -> None:
    assert redact_personal_numbers(raw) == expected


@pytest.mark.parametrize(
    "text",
    [
        "GET /members/12345/ HTTP/1.1 200 5321",  # ids and sizes
        "1391234567",  # ten digits: not a mobile
        "123456789012345678901",  # 21 digits: not an ID number
        "12345678901234567",  # 17 digits
        "2026-05-01 12:00:00,123",
        "110101********123X",  # already masked
        "",
    ],
)
def test_other_numbers_are_left_alone(text: str) -> None:
    assert redact_personal_numbers(text) == text


# --- wiring --------------------------------------------------------------------------------


def test_every_handler_in_settings_carries_the_filter() -> None:
    assert settings.LOGGING["handlers"]
    for name, spec in settings.LOGGING["handlers"].items():
        assert "personal_data" in spec.get("filters", []), name


@pytest.mark.parametrize(
    "logger_name",
    ["django.server", "django.request", "django", "dangjian.members", "gunicorn.access", "x"],
)
def test_every_handler_a_record_reaches_is_filtered(logger_name: str) -> None:
    """Walk the live logger tree: Django's defaults must not keep an unfiltered handler."""
    logger: logging.Logger | None = logging.getLogger(logger_name)
    seen = 0
    while logger is not None:
        for handler in logger.handlers:
            if "pytest" in type(handler).__module__:  # caplog's own capture handlers
                continue
            seen += 1
            assert any(isinstance(f, PersonalDataFilter) for f in handler.filters), (
                logger.name,
                handler,
            )
        logger = logger.parent if logger.propagate else None
    assert seen


# --- real requests -------------------------------------------------------------------------


def test_runserver_access_line_for_an_id_search_is_masked(db: None, text_log: io.StringIO) -> None:
    """The development server's own request line (django.server), from a real socket."""
    server = WSGIServer(("127.0.0.1", 0), WSGIRequestHandler)
    server.set_app(WSGIHandler())
    thread = threading.Thread(target=server.handle_request)
    thread.start()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=30)
        conn.request("GET", f"/members/?q={ID}&mobile={MOBILE}")
        conn.getresponse().read()
        conn.close()
    finally:
        thread.join(timeout=30)
        server.server_close()
    lines = [line for line in text_log.getvalue().splitlines() if "django.server" in line]
    assert lines
    assert "GET /members/?q=******************&mobile=139****5678" in lines[0]
    _assert_clean(text_log.getvalue())


def test_django_request_warning_for_an_id_search_is_masked_as_text_and_json(
    people, login, text_log: io.StringIO, json_log: io.StringIO
) -> None:
    """A 404 under the member pages with ``?q=<ID>``: Django logs it with the request attached,
    and the JSON formatter writes that request (its full path) as a field."""
    client = login(people.county_admin)
    response = client.get(f"/members/999999999/?q={ID}")
    assert response.status_code == 404
    assert "django.request" in text_log.getvalue()
    _assert_clean(text_log.getvalue())
    records = [json.loads(line) for line in json_log.getvalue().splitlines()]
    request_records = [r for r in records if r["name"] == "django.request"]
    assert request_records
    assert "******************" in request_records[0]["request"]
    _assert_clean(json_log.getvalue())


def test_gunicorn_access_record_is_masked(text_log: io.StringIO, json_log: io.StringIO) -> None:
    """gunicorn logs ``access_log_format % atoms`` on gunicorn.access, atoms as a dict."""
    atoms = {
        "h": "10.0.0.8",
        "l": "-",
        "u": "-",
        "t": "[01/May/2026:10:00:00 +0800]",
        "r": f"GET /members/?q={ID} HTTP/1.1",
        "s": "200",
        "b": "5321",
        "f": f"https://dj.example.cn/members/?q={ID}",
        "a": "Mozilla/5.0",
    }
    logger = logging.getLogger("gunicorn.access")
    before, logger.propagate = logger.propagate, True  # as the production config routes it
    try:
        logger.info(AccessLogFormat.default, atoms)
    finally:
        logger.propagate = before
    assert "GET /members/?q=******************" in text_log.getvalue()
    _assert_clean(text_log.getvalue())
    _assert_clean(json_log.getvalue())


def test_our_own_loggers_args_extras_and_tracebacks_are_masked(
    text_log: io.StringIO, json_log: io.StringIO
) -> None:
    log = logging.getLogger("dangjian.members.views")
    log.warning("lookup %s failed for %s", ID, MOBILE, extra={"id_number": ID})
    try:
        raise ValueError(f"bad id {ID}")
    except ValueError:
        log.exception("import row failed")
    log.info({"event": "search", "q": ID})
    _assert_clean(text_log.getvalue())
    _assert_clean(json_log.getvalue())
    records = [json.loads(line) for line in json_log.getvalue().splitlines()]
    assert records[0]["message"] == "lookup ****************** failed for 139****5678"
    assert records[0]["id_number"] == "******************"
    assert "bad id ******************" in records[1]["exc_info"]
    assert records[2]["q"] == "******************"
