"""What the API of grid work shares: grid's own (``api``) and that of 村情民意, 矛盾调解 and 乡贤
(``community.api``) — page sizes, the ``org_id`` gate, user and member ids checked."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest

from dangjian.accounts.models import User
from dangjian.grid import selectors
from dangjian.grid.models import Grid
from dangjian.members.models import Member
from dangjian.orgs.access import access_org_by_id
from dangjian.orgs.models import Organization

PAGE_MAX = 100


def page_size(limit: int) -> int:
    return max(1, min(limit, PAGE_MAX))


def org_param(request: HttpRequest, org_id: int | None) -> Organization | None:
    return access_org_by_id(request.user, org_id, action="grid.view") if org_id else None


def users_by_ids(ids: list[int]) -> list[User]:
    users = list(User.objects.filter(pk__in=ids))
    if len(users) != len(set(ids)):
        raise ValidationError("网格员账号不存在", code="worker_unknown")
    return users


def member_for(grid: Grid, member_id: int) -> Member:
    member = selectors.member_choices_qs(grid.org).filter(pk=member_id).first()
    if member is None:
        raise ValidationError("该党员不是本村（社区）的在册党员", code="member_out_of_org")
    return member
