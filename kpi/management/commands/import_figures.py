"""Import monthly figures from a file through the same pipeline as the web page and the API."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from branches.models import Role
from core import parsing
from core.errors import ApplicationError
from kpi.imports import services
from kpi.models import FigureSource


class Command(BaseCommand):
    help = "导入月度数据（.xlsx/.xls/.ods/.csv）：先检查全部数据，无错误才写入；--dry-run 只检查不写入"

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--scheme", help="方案代码，如 jiangsu-2023（默认：按月份所属年度）")
        parser.add_argument("--month", help="表中未写明月份时使用的月份，如 2023-09")
        parser.add_argument("--user", help="以哪个用户的身份导入（默认：第一个系统管理员）")
        parser.add_argument("--dry-run", action="store_true", help="只检查并显示将发生的变动，不写入")

    def handle(self, *args, file, scheme, month, user, dry_run, **options):
        path = Path(file)
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"无法读取 {file}：{exc.strerror}") from exc
        try:
            chosen = parsing.parse_month(month) if month else None
        except parsing.InputError as exc:
            raise CommandError(exc.message) from exc
        actor = self._user(user)
        try:
            batch = services.batch_create(user=actor, channel=FigureSource.IMPORT, file_name=path.name, content=content,
                                          scheme_code=scheme, month=chosen)
            checked = services.batch_prepare(batch=batch)
            if checked.plan.errors:
                for e in batch.summary["errors"]:
                    self.stdout.write(f"{e['cell']} {e['code']} {e['message']}")
                raise CommandError(f"{len(checked.plan.errors)} 处错误，未写入任何数据")
            if not dry_run and checked.plan.writes():
                batch = services.batch_apply(batch=batch, user=actor)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self._summary(batch.summary, dry_run)

    def _user(self, username):
        users = get_user_model().objects.filter(is_active=True)
        found = users.filter(username=username).first() if username else users.filter(role=Role.ADMIN).order_by("pk").first()
        if found is None:
            raise CommandError(f"找不到用户“{username}”" if username else "没有可用的系统管理员，请用 --user 指定")
        return found

    def _summary(self, summary, dry_run):
        for w in summary["warnings"]:
            self.stdout.write(f"{w['cell']} {w['code']} {w['message']}")
        if summary["status"] == "unchanged":
            self.stdout.write("无变化：文件中的数据与系统中的完全一致")
        verb = "将" if dry_run else "已"
        for m in summary["months"]:
            self.stdout.write(f"{m['month']}：{verb}新增 {m['created']}，{verb}修改 {m['changed']}，不变 {m['unchanged']}")
        c = summary["counts"]
        self.stdout.write(f"合计：新增 {c['created']}，修改 {c['changed']}，不变 {c['unchanged']}" + ("（仅检查，未写入）" if dry_run else ""))
