"""``dangjian restore PATH``: replace the database with a verified backup, then verify it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from dangjian.core import backup


class Command(BaseCommand):
    help = (
        "用 dangjian backup 生成的备份替换整个数据库：先校验文件（大小、SHA-256、完整性、"
        "行数与校验和、加密密钥），不合格则拒绝且不作任何更改；恢复后再次校验"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="备份文件路径")
        parser.add_argument("--database", default="default", help="数据库别名（默认 default）")
        parser.add_argument(
            "--noinput", "--no-input", action="store_false", dest="interactive",
            help="不询问确认",
        )  # fmt: skip
        parser.add_argument(
            "--accept-other-key",
            action="store_true",
            help="备份使用的加密密钥与当前不同时仍然恢复（其中的身份证号和手机号将无法解密）",
        )
        parser.add_argument(
            "--no-safety-copy",
            action="store_true",
            help="恢复前不先备份当前数据库（SQLite）",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        alias = opts["database"]
        path = Path(opts["path"])
        try:
            engine = backup.database_engine(alias)
            manifest = backup.read_checked_manifest(path, engine)
            if engine == "sqlite":
                backup.sqlite_check_file(path, manifest)
            else:
                backup.pg_check_archive(path)
            if not backup.key_matches(manifest):
                message = (
                    "备份时使用的加密密钥（FIELD_ENCRYPTION_KEY）与当前设置的不同"
                    f"（备份 {manifest.get('key_fingerprint')}，当前 {backup.key_fingerprint()}）："
                    "恢复后身份证号和手机号将无法解密。请先设置备份时的密钥"
                )
                if not opts["accept_other_key"]:
                    raise backup.BackupError(message + "，未作任何更改")
                backup.logger.warning("按 --accept-other-key 继续恢复：%s", message)
                self.stderr.write(f"警告：{message}。已按 --accept-other-key 继续。")
        except backup.BackupError as exc:
            backup.logger.error("拒绝恢复 %s：%s", path, exc)
            raise CommandError(f"拒绝恢复：{exc}") from exc

        if opts["interactive"]:
            answer = input(
                f"将用 {path.name}（{manifest.get('created_at', '')}，{manifest.get('rows')} 行）"
                "替换当前整个数据库。请先停止网站和后台任务进程。输入 yes 继续："
            )
            if answer.strip().lower() != "yes":
                raise CommandError("已取消，未作任何更改")

        settings_dict = connections[alias].settings_dict
        connections[alias].close()
        try:
            if engine == "sqlite":
                live = Path(settings_dict["NAME"])
                if not opts["no_safety_copy"] and live.exists():
                    safety = backup.default_backup_path(engine).with_name(
                        f"pre-restore-{backup.default_backup_path(engine).name}"
                    )
                    safety.parent.mkdir(parents=True, exist_ok=True)
                    backup.write_manifest(safety, backup.sqlite_backup(live, safety))
                    self.stdout.write(f"已先备份当前数据库：{safety}")
                backup.sqlite_restore(path, live, manifest)
            else:
                backup.pg_restore(settings_dict, path, manifest)
        except backup.BackupError as exc:
            backup.logger.error("恢复失败 %s：%s", path, exc)
            raise CommandError(f"恢复失败：{exc}") from exc
        backup.logger.info("已从 %s 恢复数据库（%d 行）", path, manifest["rows"])
        self.stdout.write(
            f"恢复完成并已校验：{len(manifest['tables'])} 张表，共 {manifest['rows']} 行与备份一致。"
        )
