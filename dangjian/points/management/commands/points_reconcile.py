"""Check every closed 积分 period: do the frozen balances still match the ledger?"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from dangjian.points.models import PointsPeriod
from dangjian.points.rules import period_label
from dangjian.points.selectors import period_reconcile


class Command(BaseCommand):
    help = "核对已结账积分周期：冻结的期末积分与分录重新计算的结果是否一致"

    def handle(self, *args: Any, **options: Any) -> None:
        bad = 0
        periods = PointsPeriod.objects.filter(state=PointsPeriod.State.CLOSED).select_related(
            "scheme"
        )
        for period in periods.order_by("scheme_id", "start", "kind"):
            mismatches = period_reconcile(period)
            label = f"{period.scheme.name} {period_label(period.kind, period.start)}"
            if mismatches:
                bad += len(mismatches)
                self.stdout.write(f"{label}：{len(mismatches)} 名党员不一致")
                for m in mismatches[:20]:
                    self.stdout.write(f"  党员 {m.member_id}：冻结 {m.frozen}，分录 {m.ledger}")
            else:
                self.stdout.write(f"{label}：一致（{period.balances.count()} 名党员）")
        if bad:
            raise CommandError(f"共 {bad} 处不一致")
