"""`dangjian serve`'s supervision: the worker comes back after it exits; the web server's exit
or a stop request ends both."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import pytest

from dangjian.core.management.commands import serve
from dangjian.core.supervisor import Backoff, SupervisorResult, supervise

FAST = Backoff(first=0.01, cap=0.05, healthy_after=60)
SLEEP = [sys.executable, "-c", "import time; time.sleep(60)"]


def appending_then(path: Path, code: str) -> list[str]:
    """A child that records one line in ``path`` and then runs ``code``."""
    return [sys.executable, "-c", f"open({str(path)!r}, 'a').write('run\\n'); {code}"]


def run_until(
    condition, *, web: list[str], worker: list[str] | None
) -> tuple[SupervisorResult, threading.Event]:  # type: ignore[no-untyped-def]
    stop = threading.Event()
    result: list[SupervisorResult] = []
    thread = threading.Thread(
        target=lambda: result.append(
            supervise(web=web, worker=worker, stop=stop, backoff=FAST, grace=5, poll=0.01)
        )
    )
    thread.start()
    deadline = time.monotonic() + 60
    while not condition() and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    stop.set()
    thread.join(30)
    assert not thread.is_alive()
    return result[0], stop


def lines(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


def test_a_worker_that_exits_is_started_again(tmp_path: Path) -> None:
    runs = tmp_path / "worker.log"
    result, _ = run_until(
        lambda: lines(runs) >= 4, web=SLEEP, worker=appending_then(runs, "raise SystemExit(3)")
    )
    assert result.exit_code == 0  # stopped on request
    assert lines(runs) >= 4
    assert result.worker_restarts >= 3


def test_a_stop_request_ends_a_running_worker_and_the_web_server(tmp_path: Path) -> None:
    web_runs, worker_runs = tmp_path / "web.log", tmp_path / "worker.log"
    marker = tmp_path / "worker-ended"
    # The worker writes the marker when it gets SIGTERM: proof it was stopped, not orphaned.
    # The handler is set before the worker says it runs: a stop sent in between would find the
    # default handler (a busy machine makes that gap real).
    worker_code = (
        "import signal, sys, time;"
        f"signal.signal(signal.SIGTERM, lambda *a: (open({str(marker)!r}, 'w').close(), "
        "sys.exit(0)));"
        f"open({str(worker_runs)!r}, 'a').write('run\\n');"
        "time.sleep(60)"
    )
    result, _ = run_until(
        lambda: lines(web_runs) and lines(worker_runs),
        web=appending_then(web_runs, "import time; time.sleep(60)"),
        worker=[sys.executable, "-c", worker_code],
    )
    assert result == SupervisorResult(exit_code=0, worker_restarts=0)
    assert marker.exists()


def test_the_web_server_exiting_ends_the_supervision_with_its_code(tmp_path: Path) -> None:
    marker = tmp_path / "worker-ended"
    started = tmp_path / "worker.log"
    worker_code = (  # the handler first, then "started" (see the test above)
        "import signal, sys, time;"
        f"signal.signal(signal.SIGTERM, lambda *a: (open({str(marker)!r}, 'w').close(), "
        "sys.exit(0)));"
        f"open({str(started)!r}, 'a').write('run\\n');"
        "time.sleep(60)"
    )
    web = [
        sys.executable,
        "-c",
        # Wait for the worker to be up, then fail the way gunicorn does on a taken port.
        f"import os, time\nwhile not os.path.exists({str(started)!r}): time.sleep(0.01)\n"
        "raise SystemExit(4)",
    ]
    result, _ = run_until(lambda: False, web=web, worker=[sys.executable, "-c", worker_code])
    assert result.exit_code == 4
    assert marker.exists()


def test_no_worker_runs_only_the_web_server(tmp_path: Path) -> None:
    runs = tmp_path / "web.log"
    result, _ = run_until(
        lambda: lines(runs), web=appending_then(runs, "import time; time.sleep(60)"), worker=None
    )
    assert result == SupervisorResult(exit_code=0, worker_restarts=0)


@pytest.mark.parametrize(
    ("previous", "ran_for", "expected"),
    [(None, 0, 1.0), (1.0, 0.5, 2.0), (32.0, 1, 60.0), (60.0, 1, 60.0), (60.0, 60, 1.0)],
)
def test_the_restart_delay_doubles_up_to_the_cap_and_resets_after_a_healthy_run(
    previous: float | None, ran_for: float, expected: float
) -> None:
    assert Backoff().next_delay(previous, ran_for) == expected


def test_serve_supervises_the_resilient_worker_when_it_exists(monkeypatch) -> None:
    monkeypatch.setattr(
        serve, "get_commands", lambda: {"worker": "dangjian.core", "db_worker": "x"}
    )
    assert serve.worker_argv()[-1] == "worker"
    monkeypatch.setattr(serve, "get_commands", lambda: {"db_worker": "django_tasks_db"})
    assert serve.worker_argv()[-1] == "db_worker"
    assert serve.worker_argv()[1:3] == ["-m", "dangjian"]


def test_serve_runs_gunicorn_with_the_project_config() -> None:
    argv = serve.web_argv(bind="127.0.0.1:9999")
    assert argv[1:5] == ["-m", "gunicorn", "-c", "python:config.gunicorn"]
    assert argv[-3:] == ["--bind", "127.0.0.1:9999", "config.wsgi:application"]
