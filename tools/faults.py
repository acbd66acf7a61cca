"""`make faults`: start the whole stack on private ports, inflict each fault, print one line per scenario.

It starts, and stops again whatever happens, its own PostgreSQL 15 cluster (a temporary data directory,
port 5433 or the next free one), its own redis-server (port 6390), a Celery worker and beat, and
gunicorn on a free port; it loads the demo into the new cluster. The shared servers on 5432 and 6379
are never touched. Scenarios (issue 8, "Faults survived"):

  redis-down   branches save, submit and the office approves while Redis is down: every save succeeds,
               nothing is lost, the page says the ranking is pending, the recomputes happen once Redis
               is back (the outbox in kpi.outbox, swept by beat).
  worker-kill  the worker is SIGKILLed in the middle of a recompute: the previous table stays visible,
               the message is delivered again (acks_late, reject_on_worker_lost), the window ends up
               computed once.
  pg-restart   PostgreSQL restarts while users work: the outage answers a Chinese 503, never a 500, and
               the app recovers without a restart.
  load         50 users for 60 s (league page, API league, monthly form preview and saves, complaint
               list): 0 server errors, every save applied or refused with 409, history and final values
               agree; p50/p95 printed.

Exit status 1 if any scenario fails. Options: --duration (load seconds, default 60), --users (50),
--keep (keep the temporary directory with every log).
"""

import argparse
import contextlib
import http.cookiejar
import itertools
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
PASSWORD = "x"
SCHEME = "jiangsu-2023"
OPEN_MONTH = "2023-09"  # left open by the demo; January–August are approved and locked
LOCKED_MONTH = "2023-08"
CHINESE_503 = "暂时无法连接数据库"
THINK = (0.5, 2.0)  # seconds a load user waits between two actions (reading the page, typing)


def free_port(preferred: int) -> int:
    for port in itertools.chain([preferred], range(preferred + 1, preferred + 50)):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise SystemExit(f"no free port near {preferred}")


def wait_for(predicate, timeout: float, interval: float = 0.5, what: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


def percentile(values, q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


# ── the stack ─────────────────────────────────────────────────────────────────────────────────────


class Stack:
    """Every process this run starts, each in its own session so it is stopped by its own id."""

    def __init__(self, workdir: Path):
        self.dir = workdir
        self.pgdata = workdir / "pg"
        self.pg_port = free_port(int(os.environ.get("FAULTS_PG_PORT", 5433)))
        self.redis_port = free_port(int(os.environ.get("FAULTS_REDIS_PORT", 6390)))
        self.web_port = free_port(int(os.environ.get("FAULTS_WEB_PORT", 8790)))
        self.procs: dict[str, subprocess.Popen] = {}
        self.pg_started = False
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "DATABASE_URL": f"postgres://xiaobao:xiaobao@127.0.0.1:{self.pg_port}/xiaobao_faults",
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "DEBUG": "False",
            "SECRET_KEY": "faults-run-only-" + os.urandom(8).hex(),
            "CONN_MAX_AGE": "60",  # persistent connections: the restart scenario exercises the health checks
            "RECOMPUTE_SWEEP_SECONDS": "15",
            "RECOMPUTE_REDISPATCH_SECONDS": "45",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }

    # PostgreSQL: run as the postgres user when we are root (CI), as ourselves otherwise.
    def _pg(self, *args, check=True):
        kwargs = {"user": "postgres", "group": "postgres"} if os.geteuid() == 0 else {}
        return subprocess.run([str(a) for a in args], check=check, capture_output=True, text=True, cwd="/", **kwargs)

    def start_postgres(self):
        self.pgdata.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.pgdata, "postgres", "postgres")
        self._pg(PG_BIN / "initdb", "-D", self.pgdata, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
        self.pg_ctl("start")
        self._pg(
            PG_BIN / "psql",
            "-h",
            "127.0.0.1",
            "-p",
            self.pg_port,
            "-U",
            "postgres",
            "-qc",
            "CREATE ROLE xiaobao LOGIN PASSWORD 'xiaobao' CREATEDB",
        )
        self._pg(PG_BIN / "createdb", "-h", "127.0.0.1", "-p", self.pg_port, "-U", "postgres", "-O", "xiaobao", "xiaobao_faults")

    def pg_ctl(self, action: str):
        opts = f"-p {self.pg_port} -c listen_addresses=127.0.0.1 -k {self.pgdata} -c fsync=off -c max_connections=200"
        args = [PG_BIN / "pg_ctl", "-D", self.pgdata, "-l", self.pgdata / "server.log", "-w", "-t", "60"]
        args += ["-o", opts, "start"] if action == "start" else ["-m", "fast", "stop"]
        self._pg(*args)
        self.pg_started = action == "start"

    def spawn(self, name: str, *args, **env):
        log = open(self.dir / f"{name}.log", "ab")
        self.procs[name] = subprocess.Popen(
            [str(a) for a in args],
            cwd=ROOT,
            env={**self.env, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self.procs[name]

    def stop(self, name: str, sig=signal.SIGTERM, timeout: float = 15):
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)

    def start_redis(self):
        self.spawn(
            "redis",
            shutil.which("redis-server") or "redis-server",
            "--port",
            self.redis_port,
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            self.dir,
        )
        wait_for(lambda: socket.socket().connect_ex(("127.0.0.1", self.redis_port)) == 0, 10, 0.1, "redis")

    def start_worker(self):
        self.spawn(
            "worker",
            BIN / "celery",
            "-A",
            "config.celery_app",
            "worker",
            "-l",
            "INFO",
            "-c",
            "1",
            "-n",
            "faults@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        )

    def start_beat(self):
        self.spawn("beat", BIN / "celery", "-A", "config.celery_app", "beat", "-l", "INFO", "-s", self.dir / "beat-schedule")

    def start_web(self):
        self.spawn(
            "gunicorn",
            BIN / "gunicorn",
            "config.wsgi",
            "-b",
            f"127.0.0.1:{self.web_port}",
            "-w",
            "3",
            "-k",
            "gthread",
            "--threads",
            "8",
            "--timeout",
            "120",
            "--graceful-timeout",
            "5",
            "--no-control-socket",
        )
        wait_for(lambda: Browser(self.url).get("/accounts/login/")[0] == 200, 30, 0.3, "gunicorn")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def worker_child_pids(self) -> list[int]:
        master = self.procs["worker"].pid
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    def close(self):
        for name in reversed(list(self.procs)):
            self.stop(name)
        if self.pg_started:
            with contextlib.suppress(Exception):
                self.pg_ctl("stop")


# ── an HTTP user (the standard library: no extra dependency) ──────────────────────────────────────


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One signed-in user: cookies, CSRF, and every answer as (status, body, seconds); status 0 = no answer."""

    def __init__(self, base: str):
        self.base, self.jar = base, http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect)

    def _send(self, method, path, data=None, headers=None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, method=method, headers=headers or {})
        if method == "POST":
            req.add_header("X-CSRFToken", self.csrf())
            req.add_header("Referer", self.base + path)
        start = time.perf_counter()
        try:
            with self.opener.open(req, timeout=130) as resp:
                return resp.status, resp.read().decode(), time.perf_counter() - start
        except urllib.error.HTTPError as exc:
            self.last_location = exc.headers.get("Location", "")
            return exc.code, exc.read().decode(errors="replace"), time.perf_counter() - start
        except (urllib.error.URLError, OSError):
            return 0, "", time.perf_counter() - start

    def get(self, path, follow: bool = False):
        """GET; with follow, a redirect (the league's landing address) is followed and timed as one request."""
        status, body, seconds = self._send("GET", path)
        for _ in range(3 if follow else 0):
            if status not in (301, 302):
                break
            location = self.last_location
            status, body, more = self._send("GET", urllib.parse.urlsplit(location).path or location)
            seconds += more
        return status, body, seconds

    def post(self, path, data):
        return self._send("POST", path, data)

    def csrf(self) -> str:
        return next((c.value for c in self.jar if c.name == "csrftoken"), "")

    def login(self, username: str) -> "Browser":
        self.get("/accounts/login/")
        status, _, _ = self.post("/accounts/login/", {"username": username, "password": PASSWORD})
        if status != 302:
            raise RuntimeError(f"login of {username} answered {status}")
        return self

    def signed_in_as(self, username: str) -> "Browser":
        """A session made directly in the database, as Django's test client does: signing in 50 users through
        the login form would spend the load run hashing passwords (redis-down signs in through the form)."""
        from importlib import import_module

        from django.conf import settings
        from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model

        user = get_user_model().objects.get(username=username)
        session = import_module(settings.SESSION_ENGINE).SessionStore()
        session.update(
            {
                SESSION_KEY: str(user.pk),
                BACKEND_SESSION_KEY: settings.AUTHENTICATION_BACKENDS[-1],
                HASH_SESSION_KEY: user.get_session_auth_hash(),
            }
        )
        session.save()
        host = urllib.parse.urlsplit(self.base).hostname
        self.jar.set_cookie(
            http.cookiejar.Cookie(
                0,
                settings.SESSION_COOKIE_NAME,
                session.session_key,
                None,
                False,
                host,
                False,
                False,
                "/",
                True,
                False,
                None,
                False,
                None,
                None,
                {},
            )
        )
        self.get("/accounts/login/")  # the CSRF cookie
        return self

    def form(self, branch: str, month: str) -> tuple[int, dict[str, str]]:
        """The month's form: its revision and the values shown in its figure inputs."""
        status, page, _ = self.get(f"/entries/{branch}/{month}/")
        if status != 200:
            raise RuntimeError(f"form {branch} {month} answered {status}")
        revision = int(re.search(r'name="revision" value="(\d+)"', page).group(1))
        return revision, dict(re.findall(r'name="c-([\w-]+)" value="([^"]*)"', page))


# ── checks that read the database (the driver's own Django, on the private cluster) ───────────────


def orm():
    from django.db import close_old_connections

    close_old_connections()
    from kpi import outbox
    from kpi.models import MonthlyFigure, MonthlySubmission, RecomputeRequest, Scheme, ScoreRun, SubmissionEvent

    return outbox, Scheme.objects.get(code=SCHEME), MonthlyFigure, MonthlySubmission, RecomputeRequest, ScoreRun, SubmissionEvent


def pending_months() -> set[int]:
    outbox, scheme, *_ = orm()
    return outbox.pending_recompute_months(scheme=scheme)


def current_run(month: int):
    _, scheme, _, _, _, ScoreRun, _ = orm()
    return ScoreRun.objects.get(scheme=scheme, month=month, is_current=True)


def figure_value(branch: str, month: str, component: str):
    _, _, MonthlyFigure, *_ = orm()
    row = MonthlyFigure.objects.filter(branch__code=branch, month=f"{month}-01", component__code=component).first()
    return None if row is None else row.value


# ── scenarios ─────────────────────────────────────────────────────────────────────────────────────


def scenario_redis_down(stack: Stack) -> tuple[bool, str]:
    """Reopen, correct, submit and approve August and save September drafts with Redis stopped."""
    branches = ["nanjing", "wuxi", "xuzhou", "changzhou", "suzhou", "nantong"]
    office = Browser(stack.url).login("province")
    staff = {b: Browser(stack.url).signed_in_as(b) for b in branches}
    stack.stop("redis", signal.SIGKILL)
    down_at = time.time()
    steps, timings, expected = Counter(), [], {}

    def step(answer):
        status, _, seconds = answer
        steps[status] += 1
        timings.append(seconds)

    for i, b in enumerate(branches):
        rev, _ = office.form(b, LOCKED_MONTH)
        step(office.post(f"/entries/{b}/{LOCKED_MONTH}/reopen/", {"revision": rev, "reason": "故障演练：更正八月数据"}))
        rev, values = staff[b].form(b, LOCKED_MONTH)
        values["sl_nonbank_passed"] = str(int(float(values["sl_nonbank_checked"] or 0)) - 1 - i)
        expected[(b, LOCKED_MONTH)] = values["sl_nonbank_passed"]
        fields = {f"c-{k}": v for k, v in values.items()}
        step(staff[b].post(f"/entries/{b}/{LOCKED_MONTH}/", {**fields, "revision": rev, "action": "submit"}))
        rev, _ = office.form(b, LOCKED_MONTH)
        step(office.post(f"/entries/{b}/{LOCKED_MONTH}/approve/", {"revision": rev, "comment": "故障演练"}))
        rev, _ = staff[b].form(b, OPEN_MONTH)
        expected[(b, OPEN_MONTH)] = str(7000 + i)
        step(
            staff[b].post(
                f"/entries/{b}/{OPEN_MONTH}/",
                {"c-sl_nonbank_passed": 7000 + i, "c-sl_nonbank_checked": 8000, "revision": rev, "action": "save"},
            )
        )
    waiting = pending_months()
    _, page, _ = office.get(f"/league/{SCHEME}/2023-08/", follow=True)
    says_pending = "排名待更新" in page
    template_has_it = "排名待更新" in (ROOT / "templates/kpi/league.html").read_text()
    lost = [k for k, v in expected.items() if figure_value(k[0], k[1], "sl_nonbank_passed") != int(v)]
    _, _, _, MonthlySubmission, *_ = orm()
    approved = MonthlySubmission.objects.filter(branch__code__in=branches, month=f"{LOCKED_MONTH}-01", status="approved").count()
    time.sleep(2)
    stack.start_redis()
    back_at = time.time()
    wait_for(lambda: not pending_months(), 120, 1, "the pending recomputes after Redis came back")
    drained = time.time() - back_at
    runs_after = {m: current_run(m).completed_at.timestamp() > down_at for m in sorted(waiting)}
    ok = (
        set(steps) == {302}
        and not lost
        and approved == len(branches)
        and {8, 9} <= waiting
        and all(runs_after.values())
        and (says_pending or not template_has_it)
    )
    return ok, (
        f"{sum(steps.values())} saves/submits/approvals while Redis was down: answers {dict(steps)}, "
        f"p95 {percentile(timings, 0.95):.2f} s; lost {len(lost)}; approved {approved}/{len(branches)}; "
        f"pending windows {sorted(waiting)}; page says 排名待更新: {'yes' if says_pending else 'no'}"
        f"{'' if template_has_it else ' (league.html does not show it yet)'}; "
        f"recomputed {drained:.0f} s after Redis came back, each window newer than the outage: {all(runs_after.values())}"
    )


def scenario_worker_kill(stack: Stack) -> tuple[bool, str]:
    """Hold the run at its first write (a table lock), SIGKILL the worker's process, let go."""
    import psycopg2
    from django.db import transaction

    outbox, scheme, *_ = orm()
    before = current_run(8)
    office = Browser(stack.url).signed_in_as("province")
    blocker = psycopg2.connect(host="127.0.0.1", port=stack.pg_port, user="postgres", dbname="xiaobao_faults")
    try:
        with blocker.cursor() as cur:
            cur.execute("LOCK TABLE kpi_branchscore IN EXCLUSIVE MODE")  # reads go on; the run's insert waits
        with transaction.atomic():
            outbox.recompute_request(scheme=scheme, months=[8])

        def run_waiting():
            with blocker.cursor() as cur:
                # The blocker's transaction stays open, and PostgreSQL keeps the first read of pg_stat_activity for
                # the rest of a transaction: without a fresh snapshot a run slower than the first poll is never seen.
                cur.execute("SELECT pg_stat_clear_snapshot()")
                cur.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = 'xiaobao_faults'")
                return cur.fetchone()[0] > 0

        wait_for(run_waiting, 30, 0.2, "the recompute to reach its first write")
        status, body, _ = office.get(f"/api/v1/league/?scheme={SCHEME}&month=8")
        visible = status == 200 and json.loads(body)["computed_at"] is not None and current_run(8).pk == before.pk
        children = stack.worker_child_pids()
        for pid in children:
            os.kill(pid, signal.SIGKILL)
        killed_at = time.monotonic()
    finally:
        blocker.rollback()
        blocker.close()
    wait_for(lambda: not pending_months(), 60, 0.5, "the recompute to run again")
    again = time.monotonic() - killed_at
    _, scheme, _, _, _, ScoreRun, _ = orm()
    runs = ScoreRun.objects.filter(scheme=scheme, month=8, pk__gt=before.pk)  # made by this scenario
    currents = ScoreRun.objects.filter(scheme=scheme, month=8, is_current=True).count()
    after = current_run(8)
    lost_log = (stack.dir / "worker.log").read_text(errors="replace").count("WorkerLostError")
    ok = visible and len(children) == 1 and runs.count() == 1 and currents == 1 and after.pk != before.pk and lost_log >= 1
    return ok, (
        f"killed pool process {children} mid-run; previous table visible meanwhile: {visible}; "
        f"WorkerLostError logged {lost_log}×; run again and done {again:.1f} s after the kill (redelivered, "
        f"not swept); window 1–8: {runs.count()} new run(s), {currents} current: #{after.pk} (was #{before.pk})"
    )


def _hammer(browsers, stop: threading.Event, log: list, paths):
    def user(b):
        while not stop.is_set():
            path = random.choice(paths)
            status, body, t = b.get(path, follow=True)
            log.append((time.monotonic(), status, CHINESE_503 in body, t))
            time.sleep(0.05)

    threads = [threading.Thread(target=user, args=(b,), daemon=True) for b in browsers]
    for t in threads:
        t.start()
    return threads


def scenario_pg_restart(stack: Stack) -> tuple[bool, str]:
    """Users keep reading while PostgreSQL stops for 5 s and starts again; gunicorn is not touched."""
    browsers = [Browser(stack.url).signed_in_as(u) for u in ["province", "admin", "nanjing", "wuxi"] * 3]
    paths = ["/league/", f"/api/v1/league/?scheme={SCHEME}", "/complaints/", "/entries/"]
    stop, log = threading.Event(), []
    threads = _hammer(browsers, stop, log, paths)
    time.sleep(3)
    down = time.monotonic()
    stack.pg_ctl("stop")
    time.sleep(5)
    stack.pg_ctl("start")
    up = time.monotonic()
    time.sleep(8)
    stop.set()
    for t in threads:
        t.join(70)
    statuses = Counter(s for _, s, _, _ in log)
    during = [(s, zh) for at, s, zh, _ in log if down <= at <= up]
    first_ok = min((at for at, s, _, _ in log if at > up and s == 200), default=None)
    after = [s for at, s, _, _ in log if at > up + 3]
    unexplained = [s for s, zh in during if s == 503 and not zh]
    ok = (
        not any(s >= 500 and s != 503 for s in statuses)
        and 0 not in statuses
        and any(s == 503 for s, _ in during)
        and not unexplained
        and first_ok is not None
        and after
        and set(after) == {200}
    )
    return ok, (
        f"{len(log)} requests by {len(browsers)} users: {dict(sorted(statuses.items()))}; during the outage "
        f"{sum(1 for s, _ in during if s == 503)} Chinese 503 pages, 0 tracebacks; first 200 "
        f"{(first_ok - up) if first_ok else float('nan'):.2f} s after PostgreSQL was back, all {len(after)} later requests 200, "
        f"no restart of gunicorn"
    )


def scenario_load(stack: Stack, duration: int, users: int) -> tuple[bool, str]:
    """`users` threads for `duration` seconds: half branch staff (two sessions per branch, so saves clash),
    half office (league page, API, complaint list); each waits THINK seconds between actions."""
    branches = [
        "nanjing",
        "wuxi",
        "xuzhou",
        "changzhou",
        "suzhou",
        "nantong",
        "lianyungang",
        "huaian",
        "yancheng",
        "yangzhou",
        "zhenjiang",
        "taizhou",
        "suqian",
    ]
    _, scheme, MonthlyFigure, MonthlySubmission, _, _, SubmissionEvent = orm()
    events_before = Counter(
        SubmissionEvent.objects.filter(submission__month=f"{OPEN_MONTH}-01", action="saved").values_list(
            "submission__branch__code", flat=True
        )
    )
    staff_n = users // 2
    plan = [("staff", branches[i % len(branches)]) for i in range(staff_n)] + [
        ("office", "province" if i % 2 else "admin") for i in range(users - staff_n)
    ]
    counter = itertools.count(1)
    lock = threading.Lock()
    timings, statuses, applied = defaultdict(list), Counter(), defaultdict(list)
    bad = []
    stop = threading.Event()

    def record(kind, status, t, body=""):
        with lock:
            timings[kind].append(t)
            statuses[(kind, status)] += 1
            if (
                status >= 500
                or status == 0
                or (kind == "save" and status not in (302, 409))
                or (kind != "save" and status != 200)
            ):
                bad.append((kind, status, body[:200]))

    def staff_user(b, branch):
        while not stop.is_set():
            kind = random.choices(["save", "preview", "league", "complaints"], [3, 3, 2, 2])[0]
            if kind == "save":
                status, page, t = b.get(f"/entries/{branch}/{OPEN_MONTH}/")
                record("form", status, t, page)
                if status != 200:
                    continue
                rev = int(re.search(r'name="revision" value="(\d+)"', page).group(1))
                time.sleep(random.uniform(0, 0.3))  # typing: another session of the branch may save meanwhile
                value = 50000 + next(counter)
                status, body, t = b.post(
                    f"/entries/{branch}/{OPEN_MONTH}/",
                    {"c-sl_nonbank_passed": value, "c-sl_nonbank_checked": 100000, "revision": rev, "action": "save"},
                )
                record("save", status, t, body)
                if status == 302:
                    with lock:
                        applied[branch].append((rev, value))
            elif kind == "preview":
                status, body, t = b.post(
                    f"/entries/{branch}/{OPEN_MONTH}/preview/",
                    {"c-sl_nonbank_passed": random.randint(1, 99999), "c-sl_nonbank_checked": 100000},
                )
                record("preview", status, t, body)
            else:
                status, body, t = b.get("/league/" if kind == "league" else "/complaints/", follow=True)
                record(kind, status, t, body)
            time.sleep(random.uniform(*THINK))

    def office_user(b):
        while not stop.is_set():
            kind = random.choice(["league", "api", "complaints"])
            path = {"league": "/league/", "api": f"/api/v1/league/?scheme={SCHEME}", "complaints": "/complaints/"}[kind]
            status, body, t = b.get(path, follow=True)
            record(kind, status, t, body)
            time.sleep(random.uniform(*THINK))

    threads = [
        threading.Thread(target=staff_user, args=(Browser(stack.url).signed_in_as(who), who), daemon=True)
        if role == "staff"
        else threading.Thread(target=office_user, args=(Browser(stack.url).signed_in_as(who),), daemon=True)
        for role, who in plan
    ]
    for t in threads:
        t.start()
    time.sleep(duration)
    stop.set()
    for t in threads:
        t.join(90)

    # Nothing lost: per branch, the saved events match the applied saves, and the value left is the last one.
    disagree = []
    for branch in branches:
        ordered = [v for _, v in sorted(applied[branch])]
        events = SubmissionEvent.objects.filter(
            submission__branch__code=branch, submission__month=f"{OPEN_MONTH}-01", action="saved"
        ).order_by("revision")
        news = [int(c["new"]) for e in events for c in e.changes if c["component"] == "sl_nonbank_passed"][
            events_before[branch] :
        ]
        history = MonthlyFigure.history.filter(
            branch__code=branch, month=f"{OPEN_MONTH}-01", component__code="sl_nonbank_passed"
        ).count()
        final = figure_value(branch, OPEN_MONTH, "sl_nonbank_passed")
        if ordered and (news[-len(ordered) :] != ordered or final != ordered[-1] or history < len(ordered)):
            disagree.append(branch)
    wait_for(lambda: not pending_months(), 120, 1, "the recomputes queued by the load")
    saves = {s: n for (k, s), n in statuses.items() if k == "save"}
    everything = [t for ts in timings.values() for t in ts]
    per_kind = ", ".join(
        f"{k} {len(ts)}× p50 {statistics.median(ts) * 1000:.0f}/p95 {percentile(ts, 0.95) * 1000:.0f} ms"
        for k, ts in sorted(timings.items())
    )
    errors = sum(n for (_, s), n in statuses.items() if s >= 500 or s == 0)
    ok = not bad and not disagree and saves.get(302, 0) > 0
    return ok, (
        f"{users} users × {duration} s: {len(everything)} requests ({len(everything) / duration:.0f}/s), "
        f"{errors} server errors; saves applied {saves.get(302, 0)}, refused 409 {saves.get(409, 0)}, other {sum(n for s, n in saves.items() if s not in (302, 409))}; "
        f"history and final values agree for {len(branches) - len(disagree)}/{len(branches)} branches; "
        f"p50 {statistics.median(everything) * 1000:.0f} ms, p95 {percentile(everything, 0.95) * 1000:.0f} ms ({per_kind})"
        + (f"; unexpected: {bad[:3]}" if bad else "")
    )


# ── main ──────────────────────────────────────────────────────────────────────────────────────────


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=int(os.environ.get("FAULTS_DURATION", 60)))
    parser.add_argument("--users", type=int, default=int(os.environ.get("FAULTS_USERS", 50)))
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory and its logs")
    parser.add_argument("--only", nargs="*", help="run only these scenarios")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="xiaobao-faults-"))
    workdir.chmod(0o755)
    stack = Stack(workdir)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    results: list[tuple[str, bool, str]] = []
    started = time.monotonic()
    try:
        print(
            f"== faults: PostgreSQL :{stack.pg_port}, Redis :{stack.redis_port}, gunicorn :{stack.web_port}, logs {workdir}",
            flush=True,
        )
        stack.start_postgres()
        stack.start_redis()
        os.environ.update(stack.env)
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        print(f"== migrated in {time.monotonic() - started:.0f} s", flush=True)
        call_command("load_demo", password=PASSWORD, verbosity=0)
        stack.start_worker()
        stack.start_beat()
        stack.start_web()
        wait_for(lambda: not pending_months(), 120, 1, "the demo's recomputes")
        print(f"== stack up in {time.monotonic() - started:.0f} s", flush=True)
        scenarios = {
            "redis-down": lambda: scenario_redis_down(stack),
            "worker-kill": lambda: scenario_worker_kill(stack),
            "pg-restart": lambda: scenario_pg_restart(stack),
            "load": lambda: scenario_load(stack, args.duration, args.users),
        }
        for name, run in scenarios.items():
            if args.only and name not in args.only:
                continue
            t0 = time.monotonic()
            try:
                ok, figures = run()
            except Exception as exc:  # a scenario that could not finish is a failure with its reason
                ok, figures = False, f"{type(exc).__name__}: {exc}"
            results.append((name, ok, figures))
            print(f"{'PASS' if ok else 'FAIL'} {name} ({time.monotonic() - t0:.0f} s): {figures}", flush=True)
    finally:
        from django.db import connections

        with contextlib.suppress(Exception):
            connections.close_all()
        stack.close()
        failed = [n for n, ok, _ in results if not ok]
        if args.keep or failed or not results:
            print(f"== logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"== faults: {len(results) - len(failed)}/{len(results)} passed in {time.monotonic() - started:.0f} s")
    return 1 if failed or not results else 0


if __name__ == "__main__":
    sys.exit(main())
