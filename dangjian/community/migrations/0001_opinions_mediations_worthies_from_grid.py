"""村情民意, 矛盾调解 and 乡贤, taken over from ``grid`` (``grid.0007``) in Django's state only.

The tables were created by ``grid.0002``; the models name them with ``db_table``, and the
index and constraint names are the ones already in the database.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import dangjian.core.paths


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("grid", "0007_opinions_mediations_worthies_to_community"),
        ("members", "0009_dossier_item_present_covering_index"),
        ("orgs", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables, indexes and constraints stay as they are (their names included).
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="LocalWorthy",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "created_at",
                            models.DateTimeField(auto_now_add=True, verbose_name="创建时间"),
                        ),
                        (
                            "updated_at",
                            models.DateTimeField(auto_now=True, verbose_name="更新时间"),
                        ),
                        (
                            "org_path",
                            dangjian.core.paths.PathField(
                                blank=True, default="", max_length=255, verbose_name="组织路径"
                            ),
                        ),
                        ("name", models.CharField(max_length=50, verbose_name="姓名")),
                        (
                            "background",
                            models.CharField(
                                choices=[
                                    ("retired_teacher", "退休教师"),
                                    ("veteran_member", "老党员"),
                                    ("retired_cadre", "退休干部"),
                                    ("entrepreneur", "企业家"),
                                    ("returnee", "返乡创业人员"),
                                    ("model", "道德模范"),
                                    ("doctor", "乡村医生"),
                                    ("legal", "法律工作者"),
                                    ("veteran", "退役军人"),
                                    ("other", "其他"),
                                ],
                                max_length=20,
                                verbose_name="身份背景",
                            ),
                        ),
                        (
                            "specialty",
                            models.CharField(blank=True, max_length=100, verbose_name="专长"),
                        ),
                        (
                            "phone_enc",
                            models.TextField(blank=True, verbose_name="联系电话（密文）"),
                        ),
                        (
                            "phone_hash",
                            models.CharField(
                                blank=True, max_length=64, verbose_name="联系电话（检索摘要）"
                            ),
                        ),
                        (
                            "phone_masked",
                            models.CharField(blank=True, max_length=20, verbose_name="联系电话"),
                        ),
                        ("joined_on", models.DateField(verbose_name="聘请日期")),
                        ("is_active", models.BooleanField(default=True, verbose_name="在聘")),
                        ("note", models.CharField(blank=True, max_length=200, verbose_name="备注")),
                        (
                            "member",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="members.member",
                                verbose_name="党员档案",
                            ),
                        ),
                        (
                            "org",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="orgs.organization",
                                verbose_name="所在村（社区）",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "乡贤",
                        "verbose_name_plural": "乡贤",
                        "db_table": "grid_localworthy",
                        "ordering": ["org_path", "id"],
                    },
                ),
                migrations.CreateModel(
                    name="Mediation",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "created_at",
                            models.DateTimeField(auto_now_add=True, verbose_name="创建时间"),
                        ),
                        (
                            "updated_at",
                            models.DateTimeField(auto_now=True, verbose_name="更新时间"),
                        ),
                        (
                            "org_path",
                            dangjian.core.paths.PathField(
                                blank=True, default="", max_length=255, verbose_name="组织路径"
                            ),
                        ),
                        ("mediated_on", models.DateField(verbose_name="调解日期")),
                        (
                            "dispute_type",
                            models.CharField(
                                choices=[
                                    ("neighbour", "邻里纠纷"),
                                    ("family", "婚姻家庭"),
                                    ("support", "赡养抚养"),
                                    ("land", "土地承包"),
                                    ("homestead", "宅基地"),
                                    ("forest", "山林水利权属"),
                                    ("debt", "劳资债务"),
                                    ("damage", "损害赔偿"),
                                    ("other", "其他"),
                                ],
                                max_length=20,
                                verbose_name="纠纷类型",
                            ),
                        ),
                        ("parties_enc", models.TextField(verbose_name="当事人（密文）")),
                        ("parties_masked", models.CharField(max_length=200, verbose_name="当事人")),
                        ("summary", models.TextField(verbose_name="纠纷概要")),
                        (
                            "place",
                            models.CharField(
                                choices=[
                                    ("worthy_room", "乡贤评理室"),
                                    ("committee", "村（居）委会"),
                                    ("service_center", "党群服务中心"),
                                    ("on_site", "现场"),
                                    ("other", "其他"),
                                ],
                                max_length=20,
                                verbose_name="调解地点",
                            ),
                        ),
                        (
                            "place_detail",
                            models.CharField(blank=True, max_length=100, verbose_name="地点说明"),
                        ),
                        (
                            "outcome",
                            models.CharField(
                                choices=[
                                    ("success", "调解成功"),
                                    ("failed", "调解未成功"),
                                    ("referred", "转交"),
                                ],
                                max_length=16,
                                verbose_name="调解结果",
                            ),
                        ),
                        (
                            "referred_to",
                            models.CharField(blank=True, max_length=100, verbose_name="转交单位"),
                        ),
                        ("agreement", models.TextField(blank=True, verbose_name="调解协议")),
                        (
                            "grid",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="mediations",
                                to="grid.grid",
                                verbose_name="网格",
                            ),
                        ),
                        (
                            "mediator_members",
                            models.ManyToManyField(
                                blank=True,
                                related_name="+",
                                to="members.member",
                                verbose_name="调解人（党员）",
                            ),
                        ),
                        (
                            "mediator_users",
                            models.ManyToManyField(
                                blank=True,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="调解人（工作人员）",
                            ),
                        ),
                        (
                            "org",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="orgs.organization",
                                verbose_name="所属党组织",
                            ),
                        ),
                        (
                            "recorded_by",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="登记人",
                            ),
                        ),
                        (
                            "worthies",
                            models.ManyToManyField(
                                blank=True,
                                related_name="mediations",
                                to="community.localworthy",
                                verbose_name="参与乡贤",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "矛盾调解",
                        "verbose_name_plural": "矛盾调解",
                        "db_table": "grid_mediation",
                        "ordering": ["-mediated_on", "-id"],
                    },
                ),
                migrations.CreateModel(
                    name="OpinionRecord",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "created_at",
                            models.DateTimeField(auto_now_add=True, verbose_name="创建时间"),
                        ),
                        (
                            "updated_at",
                            models.DateTimeField(auto_now=True, verbose_name="更新时间"),
                        ),
                        (
                            "org_path",
                            dangjian.core.paths.PathField(
                                blank=True, default="", max_length=255, verbose_name="组织路径"
                            ),
                        ),
                        ("collected_on", models.DateField(verbose_name="收集日期")),
                        (
                            "category",
                            models.CharField(
                                choices=[
                                    ("infrastructure", "基础设施"),
                                    ("industry", "产业发展"),
                                    ("environment", "人居环境"),
                                    ("welfare", "社会保障"),
                                    ("health_education", "医疗教育"),
                                    ("safety", "治安稳定"),
                                    ("land", "土地宅基地"),
                                    ("conduct", "党风政风"),
                                    ("other", "其他"),
                                ],
                                max_length=20,
                                verbose_name="类别",
                            ),
                        ),
                        ("content", models.TextField(verbose_name="民意内容")),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("received", "待办理"),
                                    ("handling", "办理中"),
                                    ("resolved", "已办结"),
                                    ("replied", "已答复（未解决）"),
                                ],
                                default="received",
                                max_length=16,
                                verbose_name="状态",
                            ),
                        ),
                        ("due_on", models.DateField(verbose_name="答复时限")),
                        ("handling", models.TextField(blank=True, verbose_name="办理情况")),
                        ("result", models.TextField(blank=True, verbose_name="办理结果")),
                        (
                            "handled_on",
                            models.DateField(blank=True, null=True, verbose_name="办结日期"),
                        ),
                        (
                            "collected_by_member",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="members.member",
                                verbose_name="收集人（党员）",
                            ),
                        ),
                        (
                            "collected_by_user",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="收集人（账号）",
                            ),
                        ),
                        (
                            "grid",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="opinions",
                                to="grid.grid",
                                verbose_name="网格",
                            ),
                        ),
                        (
                            "household",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="opinions",
                                to="grid.household",
                                verbose_name="住户",
                            ),
                        ),
                        (
                            "org",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="orgs.organization",
                                verbose_name="所属党组织",
                            ),
                        ),
                        (
                            "recorded_by",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="登记人",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "村情民意",
                        "verbose_name_plural": "村情民意",
                        "db_table": "grid_opinionrecord",
                        "ordering": ["-collected_on", "-id"],
                    },
                ),
                migrations.AddIndex(
                    model_name="localworthy",
                    index=models.Index(fields=["org_path", "id"], name="worthy_path_id"),
                ),
                migrations.AddIndex(
                    model_name="mediation",
                    index=models.Index(
                        fields=["org_path", "mediated_on"], name="mediation_path_day"
                    ),
                ),
                migrations.AddIndex(
                    model_name="mediation",
                    index=models.Index(fields=["grid", "mediated_on"], name="mediation_grid_day"),
                ),
                migrations.AddIndex(
                    model_name="opinionrecord",
                    index=models.Index(
                        fields=["org_path", "collected_on"], name="opinion_path_day"
                    ),
                ),
                migrations.AddIndex(
                    model_name="opinionrecord",
                    index=models.Index(fields=["grid", "collected_on"], name="opinion_grid_day"),
                ),
                migrations.AddConstraint(
                    model_name="opinionrecord",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            ("handled_on__isnull", True),
                            ("handled_on__gte", models.F("collected_on")),
                            _connector="OR",
                        ),
                        name="opinion_handled_after_collected",
                    ),
                ),
            ],
        ),
    ]
