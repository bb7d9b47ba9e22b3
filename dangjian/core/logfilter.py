"""Logs are a data store: mask personal numbers in every record before a handler writes it.

``PersonalDataFilter`` is attached to every handler in ``settings.LOGGING`` (handlers, not
loggers: a logger's filters do not see records propagated from its children). It rewrites the
record in place:

- the message is formatted once (``msg % args``), masked, and stored as ``msg`` with no
  ``args`` left — so the access-log line of ``django.server`` (``"GET /members/?q=…"``), a
  gunicorn access record (a dict of atoms) and our own ``logger.info("… %s", id_number)`` all
  come out masked, whatever formatter (text or JSON) writes them;
- attributes passed through ``extra=`` are masked too: strings directly, other objects (the
  ``request`` Django attaches, whose ``str()`` holds the full path) replaced by their masked
  ``str()`` when that contains a number, since the JSON formatter writes every extra;
- a traceback is formatted and masked into ``exc_text`` (an exception message may quote input);
  ``exc_info`` stays on the record for other handlers (a test's capture), so a formatter that
  formats ``exc_info`` itself must mask too: ``MaskedJsonFormatter`` does.

It never drops a record (always returns True).
"""

from __future__ import annotations

import logging
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from dangjian.core.redaction import redact_personal_numbers

# Attributes every LogRecord has; anything else came in through ``extra=``.
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "taskName",
}
_PLAIN = (int, float, bool, type(None))


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return redact_personal_numbers(value)
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_masked(v) for v in value)
    text = str(value)
    masked = redact_personal_numbers(text)
    return masked if masked != text else value


class PersonalDataFilter(logging.Filter):
    """Mask 公民身份号码 (18 and 15 digits) and phone numbers in a record's message, args,
    extras and traceback."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        message: str | None
        if isinstance(record.msg, dict) and not record.args:  # structured (JSON) logging
            record.msg = _masked(record.msg)
            message = None
        else:
            try:
                message = record.getMessage()
            except Exception:  # a broken format string: keep it, mask its parts
                record.msg = _masked(record.msg)
                record.args = _masked(record.args)
                message = None
        if message is not None:
            record.msg = redact_personal_numbers(message)
            record.args = None
        for name, value in list(record.__dict__.items()):
            if name not in _STANDARD:
                setattr(record, name, _masked(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_personal_numbers(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_personal_numbers(record.stack_info)
        return True


class MaskedJsonFormatter(JsonFormatter):
    """The JSON formatter, its tracebacks masked (it formats ``exc_info`` itself)."""

    def formatException(self, ei: Any) -> str | list[str]:  # type: ignore[override]  # noqa: N802
        formatted = super().formatException(ei)  # a list when exc_info_as_array is set
        if isinstance(formatted, list):
            return [redact_personal_numbers(line) for line in formatted]
        return redact_personal_numbers(formatted)
