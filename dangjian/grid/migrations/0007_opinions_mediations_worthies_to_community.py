"""村情民意, 矛盾调解 and 乡贤 move to the ``community`` app: gone from grid's state only.

Their tables keep their names (``grid_opinionrecord``, ``grid_mediation`` and its three link
tables, ``grid_localworthy``), rows, indexes and constraints; ``community.0001`` takes them
over in Django's state.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("grid", "0006_remask_id_region_only"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables, indexes and constraints stay as they are (their names included).
            database_operations=[],
            state_operations=[
                migrations.RemoveField(
                    model_name="mediation",
                    name="worthies",
                ),
                migrations.RemoveField(
                    model_name="mediation",
                    name="grid",
                ),
                migrations.RemoveField(
                    model_name="mediation",
                    name="mediator_members",
                ),
                migrations.RemoveField(
                    model_name="mediation",
                    name="mediator_users",
                ),
                migrations.RemoveField(
                    model_name="mediation",
                    name="org",
                ),
                migrations.RemoveField(
                    model_name="mediation",
                    name="recorded_by",
                ),
                migrations.RemoveField(
                    model_name="opinionrecord",
                    name="collected_by_member",
                ),
                migrations.RemoveField(
                    model_name="opinionrecord",
                    name="collected_by_user",
                ),
                migrations.RemoveField(
                    model_name="opinionrecord",
                    name="grid",
                ),
                migrations.RemoveField(
                    model_name="opinionrecord",
                    name="household",
                ),
                migrations.RemoveField(
                    model_name="opinionrecord",
                    name="org",
                ),
                migrations.RemoveField(
                    model_name="opinionrecord",
                    name="recorded_by",
                ),
                migrations.DeleteModel(
                    name="LocalWorthy",
                ),
                migrations.DeleteModel(
                    name="Mediation",
                ),
                migrations.DeleteModel(
                    name="OpinionRecord",
                ),
            ],
        ),
    ]
