"""``dangjian backup [PATH]``: a verified backup of the whole database, with its manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from dangjian.core import backup


class Command(BaseCommand):
    help = (
        "备份整个数据库并校验（SQLite：在线备份 API；PostgreSQL：pg_dump -Fc），"
        "同时写出清单（行数、校验和、加密密钥指纹）"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "path", nargs="?", help="备份文件路径（默认 var/backups/dangjian-日期-时间.*）"
        )
        parser.add_argument("--database", default="default", help="数据库别名（默认 default）")

    def handle(self, *args: Any, **opts: Any) -> None:
        alias = opts["database"]
        try:
            engine = backup.database_engine(alias)
            target = Path(opts["path"]) if opts["path"] else backup.default_backup_path(engine)
            if target.exists():
                raise backup.BackupError(f"{target} 已存在：请换一个文件名，避免覆盖已有备份")
            target.parent.mkdir(parents=True, exist_ok=True)
            settings_dict = connections[alias].settings_dict
            if engine == "sqlite":
                manifest = backup.sqlite_backup(Path(settings_dict["NAME"]), target)
            else:
                manifest = backup.pg_backup(settings_dict, target)
        except backup.BackupError as exc:
            backup.logger.error("备份失败：%s", exc)
            raise CommandError(f"备份失败：{exc}") from exc
        written = backup.write_manifest(target, manifest)
        backup.logger.info(
            "备份完成 %s（%d 张表，%d 行）", target, len(manifest["tables"]), manifest["rows"]
        )
        self.stdout.write(
            f"备份完成并已校验：{target}\n"
            f"  清单：{written}\n"
            f"  {len(manifest['tables'])} 张表，共 {manifest['rows']} 行；"
            f"加密密钥指纹 {manifest['key_fingerprint']}\n"
            "  请把 FIELD_ENCRYPTION_KEY（本地安装为 var/field_encryption_key）另行妥善保管："
            "没有它，备份中的身份证号和手机号无法解密。"
        )
