"""Load the Jiangsu 2023 demo and compute its league tables for January..August."""

import os

from django.core.management.base import BaseCommand

from kpi import demo, selectors, services


class Command(BaseCommand):
    help = "载入江苏2023演示数据并计算1–8月排名"

    def add_arguments(self, parser):
        parser.add_argument("--password", default=os.environ.get("DEMO_PASSWORD", "xiaobao2023"))

    def handle(self, *args, password, **options):
        if demo.is_loaded():
            demo.publish_journal_window(selectors.scheme_get(code=demo.SCHEME_CODE))
            self.stdout.write(self.style.SUCCESS("演示数据已存在：保留已有的数据与操作（重新载入请用 make demo-reset）。"))
            return
        scheme = demo.load_demo(password=password)
        for month in range(1, demo.DEMO_MONTH + 1):
            services.score_run_compute(scheme=scheme, month=month)
        demo.publish_journal_window(scheme)
        self.stdout.write(self.style.SUCCESS(
            f"演示数据已载入：{scheme}，已计算 1–{demo.DEMO_MONTH} 月排名，并将 1–{demo.DEMO_MONTH} 月发布为第1版。"
        ))
        self.stdout.write(f"登录：admin / province / nanjing、wuxi 等各中支代码，密码 {password}")
