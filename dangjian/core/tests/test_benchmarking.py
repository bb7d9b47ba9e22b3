"""The shared benchmark pieces: timing, captured SQL replayed as the floor, the results file."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from dangjian.core import benchmarking
from dangjian.orgs.models import Organization


def test_timed_reports_p50_not_above_p95_and_keeps_the_result():
    calls = []
    timing = benchmarking.timed(lambda: calls.append(1) or len(calls), runs=4, warm=2)
    assert len(calls) == 6
    assert timing.result == 6
    assert 0 <= timing.p50 <= timing.p95


@pytest.mark.django_db
def test_captured_sql_replays_to_the_same_rows(tree):
    def app():
        return list(Organization.objects.order_by("path"))

    rows = len(app())
    statements = benchmarking.captured_sql(app)
    assert len(statements) == 1
    assert benchmarking.replay(statements)() == rows


def test_ratio_guards_a_zero_floor():
    assert benchmarking.ratio(3.0, 1.5) == "2.0×"
    assert benchmarking.ratio(3.0, 0) == "—"


@pytest.mark.django_db
def test_record_appends_a_section(tmp_path, monkeypatch):
    target = tmp_path / "benchmarks" / "RESULTS.md"
    monkeypatch.setattr(benchmarking, "RESULTS", target)
    lines = [*benchmarking.heading("测试"), "", "| a |", "|---|", "| 1 |"]
    benchmarking.record(lines)
    benchmarking.record(lines)
    text = target.read_text(encoding="utf-8")
    assert text.startswith("# 性能测试结果")
    assert text.count("### 测试 · ") == 2
    assert "系统负载" in text


@pytest.mark.django_db
def test_the_benchmark_commands_run_on_a_small_tree(tree, people):
    """Each benchmark command finishes on the test tree and prints its ratio table."""
    compliance, member_import = StringIO(), StringIO()
    call_command("bench_compliance", "--no-write", stdout=compliance)
    call_command(
        "bench_member_import",
        "--rows",
        "40",
        "--branches",
        "3",
        "--no-record",
        stdout=member_import,
    )
    # Each prints its ratio table(s): compliance() and the page/API against their floors, the
    # import against parse + insert.
    assert compliance.getvalue().count("倍数") == 2
    assert member_import.getvalue().count("倍数") == 1
