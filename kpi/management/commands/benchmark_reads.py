"""League reads under load (issue 12, item 5): the league API, the league page and a trivial view served by gunicorn,
50 concurrent clients each, p50/p95/requests per second (a benchmark, not a test).

In a throw-away database (SQLite: a temporary file; PostgreSQL: `<name>_reads` on DATABASE_URL's server, dropped at
the end unless --keep) it loads the demo, then for each `--branches` N above 13 writes a synthetic N-branch run of
1–8月 and publishes it as the window's next revision; gunicorn (2 workers) serves that database on a free port and
`kpi.benchmarks.reads.measure_reads` drives the clients. The last line reads
`reads: branches=N api_p95=S page_p95=S trivial_p95=S api_ratio=R page_ratio=R`.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from importlib import import_module
from pathlib import Path

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections
from django.utils import timezone
from rest_framework.authtoken.models import Token

from branches.models import User
from kpi import selectors
from kpi.benchmarks.reads import BROWSER, measure_reads, pick_client, synthetic_run
from kpi.models import Publication
from kpi.publishing import selectors as publishing

SCHEME, MONTH = "jiangsu-2023", 8
STAFF = "nanjing"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Command(BaseCommand):
    help = "排名 API、排名页与登录页在 50 个并发客户端下的 p50/p95/每秒请求数（gunicorn，一次性数据库）"

    def add_arguments(self, parser):
        parser.add_argument("--branches", default="13", help="机构数，可写多个：13,4500")
        parser.add_argument("--clients", type=int, default=50)
        parser.add_argument("--seconds", type=int, default=10)
        parser.add_argument("--workers", type=int, default=2, help="gunicorn worker 数")
        parser.add_argument("--user", default="province", help="API 与排名页以哪个演示用户访问")
        parser.add_argument("--keep", action="store_true", help="保留一次性数据库")
        parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto",
                            help="负载客户端：wrk(已安装时的缺省)或 Python 线程")

    def handle(self, *args, branches, clients, seconds, workers, user, keep, client, **options):
        sizes = [int(n) for n in str(branches).split(",") if n.strip()]
        if not sizes or min(sizes) < 13:
            raise CommandError("--branches 应为不少于 13 的整数（演示有 13 家中支）")
        url, cleanup = self._database()
        try:
            self._run(sizes=sizes, clients=clients, seconds=seconds, workers=workers, username=user, url=url, client=client)
        finally:
            if not keep:
                cleanup()

    # ── the throw-away database ────────────────────────────────────────────────────────────────────
    def _database(self):
        """Point this process at a new database and return (its DATABASE_URL for gunicorn, how to drop it)."""
        current = connection.settings_dict
        connections["default"].close()
        if connection.vendor == "postgresql":
            base = current["NAME"]
            name = f"{base}_reads"
            with connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
                cursor.execute(f'CREATE DATABASE "{name}"')
            connections["default"].close()
            current["NAME"] = name
            url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + f"/{name}"

            def drop():
                connections["default"].close()
                current["NAME"] = base
                with connection.cursor() as cursor:
                    cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')

            return url, drop
        path = Path(tempfile.mkdtemp(prefix="xiaobao-reads-")) / "reads.sqlite3"
        current["NAME"] = str(path)
        self.stdout.write(f"一次性数据库：{path}")

        def remove():
            connections["default"].close()
            for p in path.parent.glob("*"):
                p.unlink()
            path.parent.rmdir()

        return f"sqlite:///{path}", remove

    # ── the measurements ───────────────────────────────────────────────────────────────────────────
    def _run(self, *, sizes, clients, seconds, workers, username, url, client):
        out = self.stdout.write
        start = time.perf_counter()
        call_command("migrate", verbosity=0)
        call_command("load_demo", password="bench-reads-pw", verbosity=0)
        out(f"演示数据：{time.perf_counter() - start:.1f} s")
        viewer = User.objects.get(username=username)
        token = Token.objects.get_or_create(user=viewer)[0].key
        backend = next(b for b in settings.AUTHENTICATION_BACKENDS if "axes" not in b.lower())
        sessions = {}
        for who in {username, STAFF}:
            person = User.objects.get(username=who)
            session = import_module(settings.SESSION_ENGINE).SessionStore()
            session[SESSION_KEY], session[BACKEND_SESSION_KEY] = str(person.pk), backend
            session[HASH_SESSION_KEY] = person.get_session_auth_hash()
            session.create()
            sessions[who] = session.session_key
        officer = User.objects.get(username="province")
        scheme = selectors.scheme_get(code=SCHEME)
        port = _free_port()
        server = self._serve(url, port, workers)
        try:
            for n in sizes:
                if n > 13:
                    begin = time.perf_counter()
                    model = publishing.window_get(user=officer, scheme=scheme, month=MONTH, revision=1).run
                    run = synthetic_run(scheme=scheme, model_run=model, count=n, prefix=f"b{n}x")
                    # Published as the next revision without window_publish's diff: a real republish changes a few
                    # branches, while this one would list every branch (4,500 entries read with each revision).
                    latest = Publication.objects.filter(scheme=scheme, month=MONTH).order_by("-revision").first()
                    publication = Publication.objects.create(
                        scheme=scheme, month=MONTH, revision=latest.revision + 1, run=run, published_by=officer,
                        published_at=timezone.now(), note=f"{n} 家机构（基准）",
                    )
                    out(f"合成 {n} 家机构的 1–{MONTH}月并发布为第{publication.revision}版：{time.perf_counter() - begin:.1f} s")
                window = publishing.window_get(user=viewer, scheme=scheme, month=MONTH)
                self._measure(n, f"http://127.0.0.1:{port}", window, token, sessions, username, clients, seconds, client)
        finally:
            server.terminate()
            server.wait(timeout=30)

    def _serve(self, url, port, workers):
        env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.local", "DEBUG": "false"}
        env.pop("REDIS_URL", None)  # reads only: Celery stays eager; the cache is each worker's own (locmem)
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(workers),
             "--timeout", "120", "--log-level", "warning"],
            env=env, cwd=settings.BASE_DIR,
        )
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2).read()
                return server
            except OSError:
                if server.poll() is not None:
                    raise CommandError("gunicorn 未能启动") from None
                time.sleep(0.1)
        server.terminate()
        raise CommandError("gunicorn 30 秒内未就绪")

    def _measure(self, n, base, window, token, sessions, username, clients, seconds, client):
        api_path = f"/api/v1/league/?scheme={SCHEME}&month={MONTH}"
        api_headers = {"Authorization": f"Token {token}"}
        first = urllib.request.urlopen(urllib.request.Request(base + api_path, headers={**BROWSER, **api_headers}),
                                       timeout=120)
        etag = first.headers["ETag"]
        first.read()
        def cookie(who):
            return {"Cookie": f"{settings.SESSION_COOKIE_NAME}={sessions[who]}"}

        targets = {
            "trivial": ("/accounts/login/", {}),
            "api": (api_path, api_headers),
            "api-304": (api_path, {**api_headers, "If-None-Match": etag}),
            "page": (window.url(), cookie(username)),
            "page-staff": (window.url(), cookie(STAFF)),  # a branch's clerk: no office notices on the page
        }
        client = pick_client(client)
        timings = measure_reads(base, targets, clients=clients, seconds=seconds, client=client)
        self.stdout.write(f"{n} 家机构，{clients} 个并发客户端（{client}），各 {seconds} s（{window.url()}）：")
        for t in timings.values():
            self.stdout.write("  " + t.line())
        trivial, api, page = timings["trivial"], timings["api"], timings["page"]
        self.stdout.write(
            f"reads: branches={n} api_p95={api.p95:.3f} page_p95={page.p95:.3f} trivial_p95={trivial.p95:.3f} "
            f"api_ratio={api.p95 / trivial.p95:.2f} page_ratio={page.p95 / trivial.p95:.2f} client={client}"
        )
