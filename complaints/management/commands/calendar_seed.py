"""Enter the holiday schedules chinesecalendar knows for years the office has not entered (never overwrites)."""

from django.core.management.base import BaseCommand

from complaints import services


class Command(BaseCommand):
    help = "用 chinesecalendar 补录尚未录入的年度放假安排（不覆盖已录入的年度）"

    def handle(self, *args, **options):
        years = services.calendar_seed()
        self.stdout.write(f"已补录：{'、'.join(map(str, years)) or '无'}")
