"""民主评议党员 reads: a branch's roster for a year, and per-branch counts under an organization."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q

from dangjian.core.paths import subtree_q
from dangjian.meetings.models import MemberReview
from dangjian.members.models import Member
from dangjian.orgs.models import BRANCH_TYPES, Organization

Result = MemberReview.Result


@dataclass
class ReviewRow:
    member: Member
    review: MemberReview | None


@dataclass
class ReviewSummary:
    counts: dict[str, int] = field(default_factory=dict)
    pending: int = 0
    total: int = 0

    @property
    def items(self) -> list[tuple[str, str, int]]:
        return [(v, label, self.counts.get(v, 0)) for v, label in Result.choices]


def review_roster(*, branch: Organization, year: int) -> tuple[list[ReviewRow], ReviewSummary]:
    """The branch's members on the roll with their result for ``year`` (two queries)."""
    members = list(
        Member.objects.filter(branch=branch)
        .exclude(status=Member.Status.FORMER)
        .order_by("name_initials", "id")
    )
    reviews = {
        r.member_id: r
        for r in MemberReview.objects.filter(member__branch=branch, year=year).select_related(
            "meeting"
        )
    }
    # Members removed this year keep their row on the roster so the 除名 stays visible.
    removed = [r for r in reviews.values() if r.member_id not in {m.pk for m in members}]
    removed_members = {
        m.pk: m for m in Member.objects.filter(pk__in=[r.member_id for r in removed])
    }
    rows = [ReviewRow(m, reviews.get(m.pk)) for m in members]
    rows += [ReviewRow(removed_members[r.member_id], r) for r in removed]
    summary = ReviewSummary(total=len(rows))
    for row in rows:
        if row.review is None:
            summary.pending += 1
        else:
            summary.counts[row.review.result] = summary.counts.get(row.review.result, 0) + 1
    return rows, summary


@dataclass
class BranchSummary:
    branch: Organization
    total: int
    counts: dict[str, int]

    @property
    def reviewed(self) -> int:
        return sum(self.counts.values())

    @property
    def pending(self) -> int:
        return max(self.total - self.reviewed, 0)

    @property
    def items(self) -> list[int]:
        return [self.counts.get(v, 0) for v in Result.values]


def review_branch_summaries(
    *, org: Organization, year: int, limit: int = 500
) -> list[BranchSummary]:
    """Per-branch counts under ``org`` for ``year`` (three grouped queries, capped)."""
    branches = list(
        Organization.objects.filter(
            subtree_q("path", org.path), org_type__in=BRANCH_TYPES, dissolved_on__isnull=True
        ).order_by("path")[:limit]
    )
    totals = dict(
        Member.objects.filter(subtree_q("org_path", org.path))
        .exclude(status=Member.Status.FORMER)
        .values_list("branch_id")
        .annotate(n=Count("id"))
        .values_list("branch_id", "n")
    )
    counts: dict[int, dict[str, int]] = {}
    for branch_id, result, n in (
        MemberReview.objects.filter(subtree_q("org_path", org.path), year=year)
        .filter(~Q(member__status=Member.Status.FORMER))
        .values_list("member__branch_id", "result")
        .annotate(n=Count("id"))
        .values_list("member__branch_id", "result", "n")
    ):
        counts.setdefault(branch_id, {})[result] = n
    return [BranchSummary(b, totals.get(b.pk, 0), counts.get(b.pk, {})) for b in branches]
