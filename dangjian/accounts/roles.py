"""Roles and what each may do. Later capabilities add their actions here.

A grant of a role on an organization covers that organization's whole subtree.
"""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    ORG_ADMIN = "org_admin", "组织部管理员"
    PARTY_WORKER = "party_worker", "党务工作者"
    SECRETARY = "secretary", "支部书记"
    MEMBER = "member", "党员"
    GRID_WORKER = "grid_worker", "网格员"
    INSPECTOR = "inspector", "巡察（只读）"


class Action(models.TextChoices):
    ORG_VIEW = "org.view", "查看组织"
    ORG_CREATE = "org.create", "新建下级组织"
    ORG_UPDATE = "org.update", "修改组织信息"
    ORG_MOVE = "org.move", "调整隶属关系"
    ORG_LINK = "org.link", "维护联建关系"
    AUDIT_VIEW = "audit.view", "查看审计日志"
    GRANT_MANAGE = "grant.manage", "分配角色"
    CALENDAR_MANAGE = "calendar.manage", "维护节假日"
    MEMBER_VIEW = "member.view", "查看党员"
    MEMBER_EDIT = "member.edit", "维护党员信息"
    MEMBER_REVEAL = "member.reveal", "查看完整身份证号和电话"
    MEMBER_EXPORT = "member.export", "导出党员名册"
    MEMBER_IMPORT = "member.import", "导入党员"
    TRANSFER_REQUEST = "transfer.request", "发起组织关系转接"
    TRANSFER_APPROVE = "transfer.approve", "审批组织关系转接"
    TRANSFER_ACCEPT = "transfer.accept", "接收组织关系"
    MEETING_VIEW = "meeting.view", "查看组织生活"
    MEETING_RECORD = "meeting.record", "登记会议与出席"
    MEETING_REVIEW = "meeting.review", "审核下级会议记录"
    FINDING_MANAGE = "finding.manage", "登记和整改问题"
    POINTS_VIEW = "points.view", "查看积分与星级"
    POINTS_AWARD = "points.award", "登记积分、审核党员申报"
    POINTS_RULES = "points.rules", "维护积分规则与星级评定"
    RECRUIT_VIEW = "recruit.view", "查看发展党员"
    RECRUIT_RECORD = "recruit.record", "登记发展党员步骤"
    RECRUIT_APPROVE = "recruit.approve", "上级党委审批（预审、审批、备案）"
    GRID_VIEW = "grid.view", "查看网格与联户"
    GRID_MANAGE = "grid.manage", "维护网格、住户与联户"
    REQUEST_VIEW = "request.view", "查看群众诉求"
    REQUEST_HANDLE = "request.handle", "领单、办理诉求"
    REQUEST_DISPATCH = "request.dispatch", "派单、结单"
    REQUEST_MANAGE = "request.manage", "维护诉求类别、督办升级"
    DUES_VIEW = "dues.view", "查看党费"
    DUES_COLLECT = "dues.collect", "收缴党费、登记减免申请"
    DUES_APPROVE = "dues.approve", "审批党费减免和超期补交"


ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.ORG_ADMIN: frozenset(Action.values),
    Role.PARTY_WORKER: frozenset(
        {
            Action.ORG_VIEW,
            Action.ORG_CREATE,
            Action.ORG_UPDATE,
            Action.ORG_MOVE,
            Action.ORG_LINK,
            Action.AUDIT_VIEW,
            Action.GRANT_MANAGE,
            Action.MEMBER_VIEW,
            Action.MEMBER_EDIT,
            Action.MEMBER_REVEAL,
            Action.MEMBER_EXPORT,
            Action.MEMBER_IMPORT,
            Action.TRANSFER_REQUEST,
            Action.TRANSFER_APPROVE,
            Action.TRANSFER_ACCEPT,
            Action.MEETING_VIEW,
            Action.MEETING_RECORD,
            Action.MEETING_REVIEW,
            Action.FINDING_MANAGE,
            Action.POINTS_VIEW,
            Action.POINTS_AWARD,
            Action.POINTS_RULES,
            Action.RECRUIT_VIEW,
            Action.RECRUIT_RECORD,
            Action.RECRUIT_APPROVE,
            Action.GRID_VIEW,
            Action.GRID_MANAGE,
            Action.REQUEST_VIEW,
            Action.REQUEST_HANDLE,
            Action.REQUEST_DISPATCH,
            Action.REQUEST_MANAGE,
            Action.DUES_VIEW,
            Action.DUES_COLLECT,
            Action.DUES_APPROVE,
        }
    ),
    # A branch secretary keeps the branch's roll, but does not see full ID numbers: revealing
    # is for the organization department and township party workers (an audited permission).
    Role.SECRETARY: frozenset(
        {
            Action.ORG_VIEW,
            Action.ORG_UPDATE,
            Action.ORG_CREATE,
            Action.MEMBER_VIEW,
            Action.MEMBER_EDIT,
            Action.MEMBER_EXPORT,
            Action.MEMBER_IMPORT,
            Action.TRANSFER_REQUEST,
            Action.TRANSFER_ACCEPT,
            Action.MEETING_VIEW,
            Action.MEETING_RECORD,
            Action.FINDING_MANAGE,
            Action.POINTS_VIEW,
            Action.POINTS_AWARD,
            Action.RECRUIT_VIEW,
            Action.RECRUIT_RECORD,
            Action.GRID_VIEW,
            Action.GRID_MANAGE,
            Action.REQUEST_VIEW,
            Action.REQUEST_HANDLE,
            Action.REQUEST_DISPATCH,
            Action.DUES_VIEW,
            Action.DUES_COLLECT,
        }
    ),
    # A member sees their own organization and checks in to its meetings (self-service only).
    Role.MEMBER: frozenset({Action.ORG_VIEW}),
    # A grid worker claims and handles residents' requests in the grids of the granted subtree.
    Role.GRID_WORKER: frozenset(
        {Action.ORG_VIEW, Action.GRID_VIEW, Action.REQUEST_VIEW, Action.REQUEST_HANDLE}
    ),
    Role.INSPECTOR: frozenset(
        {
            Action.ORG_VIEW,
            Action.AUDIT_VIEW,
            Action.MEMBER_VIEW,
            Action.MEETING_VIEW,
            Action.POINTS_VIEW,
            Action.RECRUIT_VIEW,
            Action.GRID_VIEW,
            Action.REQUEST_VIEW,
            Action.DUES_VIEW,
        }
    ),
}

# Django permissions (system configuration) that a role grants wherever it is held.
ROLE_DJANGO_PERMS: dict[str, frozenset[str]] = {
    Role.ORG_ADMIN: frozenset({"core.change_calendarday", "members.change_dossierrequirement"}),
}

# Order in which a user's grants are listed and the default working grant is chosen.
ROLE_RANK = {r: i for i, r in enumerate(Role.values)}

# Roles whose work may call the API (an integration or a script over their subtree): the menus
# offer "API 令牌" to them. Members and grid workers work in the pages, so their menus leave it
# out; the tokens page itself stays open to every signed-in user (a token carries only its
# owner's permissions, and a user must be able to revoke what they hold).
API_TOKEN_ROLES: frozenset[str] = frozenset(
    {Role.ORG_ADMIN, Role.PARTY_WORKER, Role.SECRETARY, Role.INSPECTOR}
)

# What the home page shows for the working role: organizers see the statistics of their tree
# and 换届提醒; a secretary their branch's to-dos; a grid worker their grids' pool; a member
# their own meetings, points and dues.
ROLE_HOME: dict[str, str] = {
    Role.ORG_ADMIN: "overview",
    Role.PARTY_WORKER: "overview",
    Role.INSPECTOR: "overview",
    Role.SECRETARY: "branch",
    Role.GRID_WORKER: "grid",
    Role.MEMBER: "member",
}
