"""gunicorn settings (``gunicorn -c python:config.gunicorn config.wsgi:application``).

``dangjian serve`` uses this file; every value can be changed from the environment, and
gunicorn's own ``GUNICORN_CMD_ARGS`` still overrides anything here.
"""

from __future__ import annotations

import copy
import importlib
import multiprocessing
import os
from typing import Any

wsgi_app = "config.wsgi:application"
bind = [os.environ.get("BIND", "127.0.0.1:8000")]
# Sync workers behind a buffering proxy (nginx): 2 × cores + 1 is gunicorn's own advice.
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
# A 50,000-row import or a county-wide export runs inside the request: allow two minutes.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 120))
graceful_timeout = 30
keepalive = 5
# Recycle a worker now and then so a slow leak never grows without bound.
max_requests = 2000
max_requests_jitter = 200
proc_name = "dangjian"
# No gunicornc control socket: nothing uses it, and it would be written under $HOME.
control_socket_disable = True


def _logconfig() -> dict[str, Any]:
    """The project's LOGGING, with gunicorn's two loggers sending to its handlers.

    Access and error lines then go through the same console handler, formatter (JSON in
    production) and filters (personal numbers masked) as every other log line.
    """
    module = os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings")
    config = copy.deepcopy(importlib.import_module(module).LOGGING)
    loggers = config.setdefault("loggers", {})
    for name in ("gunicorn.error", "gunicorn.access"):
        loggers[name] = {"level": "INFO", "handlers": [], "propagate": True}
    return config


logconfig_dict = _logconfig()
# The client as our proxy saw it (X-Forwarded-For) beside the proxy's own address.
access_log_format = '%(h)s "%({x-forwarded-for}i)s" "%(r)s" %(s)s %(b)s %(M)sms "%(f)s" "%(a)s"'
