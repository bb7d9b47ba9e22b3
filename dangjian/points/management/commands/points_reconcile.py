"""Check the materialised 积分 balances against the ledger (the source of truth).

Closed periods: do the frozen balances still match the ledger? Open periods: do the rows the
services keep current match it (missing, extra or wrong rows are drift)? ``--fix`` rebuilds
the open rows from the ledger (closed ones stay frozen). Fails on drift left unfixed.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from dangjian.points.models import PointsScheme
from dangjian.points.rules import period_label
from dangjian.points.selectors import closed_balance_drift, ledger_months, open_balance_drift
from dangjian.points.services import balances_rebuild


class Command(BaseCommand):
    help = "核对积分余额：已结账周期的冻结积分、进行中周期的实时余额，与分录重新计算的结果是否一致"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--fix", action="store_true", help="按分录重建进行中周期的余额（已结账的不动）"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        bad = 0
        schemes = PointsScheme.objects.filter(kind=PointsScheme.Kind.BASE).select_related("scope")
        for scheme in schemes.order_by("year", "id"):
            t0 = time.perf_counter()
            ledger = ledger_months(scheme=scheme)  # one pass over the year's entries
            periods = {p.pk: p for p in scheme.periods.all()}
            for pid, mismatches in closed_balance_drift(scheme, ledger).items():
                period = periods[pid]
                label = f"{scheme.name} {period_label(period.kind, period.start)}"
                if mismatches:
                    bad += len(mismatches)
                    self.stdout.write(f"{label}：{len(mismatches)} 名党员不一致")
                    for mid, _pid in mismatches[:20]:
                        self.stdout.write(f"  党员 {mid}")
                else:
                    self.stdout.write(f"{label}：一致（{period.balances.count()} 名党员）")
            if options["fix"]:
                drift = balances_rebuild(scheme=scheme)
                verb = "已重建"
            else:
                drift = open_balance_drift(scheme, ledger)[0]
                verb = "不一致"
                bad += drift.total
            ms = (time.perf_counter() - t0) * 1000
            label = f"{scheme.name} 进行中周期"
            if drift.total:
                self.stdout.write(
                    f"{label}：{verb} {drift.total} 行（缺 {len(drift.missing)}，"
                    f"多 {len(drift.extra)}，错 {len(drift.wrong)}；核对 {drift.checked} 行；"
                    f"本方案共 {ms:.0f} ms）"
                )
                for mid, pid in [*drift.missing, *drift.extra, *drift.wrong][:20]:
                    self.stdout.write(f"  党员 {mid}，周期 {pid}")
            else:
                self.stdout.write(
                    f"{label}：一致（偏差 0，{drift.checked} 行；本方案共 {ms:.0f} ms）"
                )
        if bad:
            raise CommandError(f"共 {bad} 处不一致（可用 --fix 按分录重建进行中周期的余额）")
