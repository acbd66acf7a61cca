"""Load the demo complaint cases (after kpi's load_demo) and take the complaint figures from them."""

from django.core.management.base import BaseCommand, CommandError

from complaints.demo import load_demo_complaints


class Command(BaseCommand):
    help = "载入演示投诉案件（须先运行 load_demo），其月度件数与演示月度数据一致，并将投诉类填报项改为由投诉记录生成"

    def handle(self, *args, **options):
        try:
            count = load_demo_complaints()
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"已载入 {count} 件演示投诉案件；投诉类考核数据改由投诉记录生成。"))
