"""The move out of ``grid`` changed Django's state only: same tables, and audit rows written
before it (``grid.opinionrecord`` …) still read in words."""

from __future__ import annotations

import pytest
from django.db import connection

from dangjian.community.models import LocalWorthy, Mediation, OpinionRecord
from dangjian.core.audit import audit_record
from dangjian.core.audit_display import audit_entries_display

pytestmark = pytest.mark.django_db


def test_the_tables_are_still_grids() -> None:
    assert OpinionRecord._meta.db_table == "grid_opinionrecord"
    assert Mediation._meta.db_table == "grid_mediation"
    assert LocalWorthy._meta.db_table == "grid_localworthy"
    links = {f.name: f.remote_field.through._meta.db_table for f in Mediation._meta.many_to_many}
    assert links == {
        "mediator_users": "grid_mediation_mediator_users",
        "mediator_members": "grid_mediation_mediator_members",
        "worthies": "grid_mediation_worthies",
    }
    tables = set(connection.introspection.table_names())
    assert set(links.values()) | {"grid_opinionrecord", "grid_localworthy"} <= tables


def test_an_audit_row_written_before_the_move_still_reads_in_words(people) -> None:
    row = audit_record(
        actor=people.county_admin,
        action="opinion.handle",
        object_type="grid.opinionrecord",
        object_id="1",
        changes={"status": ["received", "resolved"]},
    )
    (entry,) = audit_entries_display([row])
    assert entry.object_kind == "村情民意"
    assert [(c.label, c.old, c.new) for c in entry.changes] == [("状态", "待办理", "已办结")]
