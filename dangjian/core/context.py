"""Per-request context (client IP) that services read without knowing about HTTP."""

from __future__ import annotations

import contextvars

client_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("client_ip", default=None)
