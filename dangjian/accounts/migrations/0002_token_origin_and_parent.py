"""Where a token came from, and the token it was made by.

Schema only. Tokens issued before this migration get ``origin = "legacy"``: nothing recorded
whether they were made on the page, by the CLI or (as the API then allowed) by another token,
so no parent can be filled in. ``docs/operations.md`` (账号) says how to retire them.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="origin",
            field=models.CharField(
                choices=[
                    ("session", "网页登录后创建"),
                    ("cli", "命令行创建"),
                    ("legacy", "升级前创建（来源未记录）"),
                ],
                default="legacy",
                max_length=16,
                verbose_name="来源",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="apitoken",
            name="created_by_token",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="children",
                to="accounts.apitoken",
                verbose_name="上级令牌",
            ),
        ),
    ]
