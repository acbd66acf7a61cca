"""`make api-contract`: schemathesis against the running app, as a branch clerk and as an officer.

Builds a throwaway database (a temporary SQLite file, or `<name>_contract` beside the PostgreSQL
database that DATABASE_URL names), migrates it and loads the demo, serves it with gunicorn on a free
port of 127.0.0.1 (settings `config.settings.local`, DEBUG off), exports the OpenAPI schema with
`manage.py spectacular` and runs `st run` once per token with three checks: not_a_server_error,
response_schema_conformance and status_code_conformance. Prints the number of cases and of failures
per check, and exits non-zero unless all three are 0.

With REDIS_URL set, the recomputes that writes queue go to that Redis as in production (no worker
runs them; the queue is purged at the end); without it Celery runs them eagerly, which is slower.

Phases: the branch clerk's run has the coverage phase (boundary values of every parameter and
field: where input the schema allows but the code does not expect shows up), both have fuzzing
(CONTRACT_MAX_EXAMPLES random cases per operation, default 5) and stateful (a case created, then its
steps called on it, through the links schemathesis infers). CONTRACT_SEED fixes the random seed.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CHECKS = ("not_a_server_error", "response_schema_conformance", "status_code_conformance")
# role → (user, phases); the coverage phase costs most and its inputs do not depend on who asks: it runs once.
USERS = {"branch staff": ("nanjing", "coverage,fuzzing,stateful"), "officer": ("province", "fuzzing,stateful")}
MAX_EXAMPLES = os.environ.get("CONTRACT_MAX_EXAMPLES", "5")
SEED = os.environ.get("CONTRACT_SEED", "20231001")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _postgres_contract_db(url: str):
    """A fresh `<name>_contract` database beside DATABASE_URL's; returns its URL and a function that drops it."""
    import psycopg2

    parts = urlsplit(url)
    name = parts.path.lstrip("/") + "_contract"
    admin = psycopg2.connect(
        dbname="postgres", user=parts.username, password=parts.password, host=parts.hostname, port=parts.port or 5432
    )
    admin.autocommit = True

    def run(sql):
        with admin.cursor() as cur:
            cur.execute(sql)

    run(f'DROP DATABASE IF EXISTS "{name}"')
    run(f'CREATE DATABASE "{name}"')

    def drop():
        run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()

    return urlunsplit(parts._replace(path=f"/{name}")), drop


def _manage(env, *args) -> str:
    return subprocess.run(
        [str(BIN / "python"), "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout.strip()


def _wait_until_up(base: str, server: subprocess.Popen) -> None:
    for _ in range(120):
        if server.poll() is not None:
            raise SystemExit("gunicorn stopped before serving")
        try:
            urllib.request.urlopen(f"{base}/accounts/login/", timeout=2)
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    raise SystemExit("gunicorn did not answer within 60 s")


def _schemathesis(schema: Path, base: str, token: str, phases: str, report: Path) -> dict:
    """Run `st run` with one token; the counts come from its NDJSON event report."""
    command = [
        str(BIN / "st"),
        "--no-color",
        "run",
        str(schema),
        "--url",
        base,
        "--header",
        f"Authorization: Token {token}",
        "--checks",
        ",".join(CHECKS),
        "--phases",
        phases,
        "--max-examples",
        MAX_EXAMPLES,
        "--seed",
        SEED,
        # One worker: Python 3.11.7's ast.parse is not thread-safe (CPython gh-106905, fixed in 3.11.8), and
        # hypothesis parses lambdas while describing strategies; two workers crashed a run with
        # "SystemError: AST constructor recursion depth mismatch".
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--generation-database",
        "none",
        "--suppress-health-check",
        "all",
        "--report",
        "ndjson",
        "--report-ndjson-path",
        str(report),
    ]
    result = subprocess.run(command, cwd=report.parent, capture_output=True, text=True)  # its cache dies with it
    return _read_report(report, result)


def _read_report(report: Path, result: subprocess.CompletedProcess) -> dict:
    cases, failures, errors = 0, Counter(), []
    if report.exists():
        for line in report.read_text(encoding="utf-8").splitlines():
            event = json.loads(line)
            ((kind, body),) = event.items()
            if kind == "ScenarioFinished":
                recorder = body.get("recorder", {})
                cases += len(recorder.get("cases", {}))
                for check_list in recorder.get("checks", {}).values():
                    for check in check_list:
                        if check.get("status") == "failure":
                            failures[check["name"]] += 1
            elif kind == "NonFatalError":
                errors.append(f"{body.get('label')}: {body.get('value', {}).get('message', '')}"[:300])
    return {
        "cases": cases,
        "failures": failures,
        "errors": errors,
        "output": result.stdout + result.stderr,
        "returncode": result.returncode,
    }


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="api-contract-"))
    url = os.environ.get("DATABASE_URL", "")
    drop = None
    if url.startswith(("postgres://", "postgresql://")):
        db_url, drop = _postgres_contract_db(url)
    else:
        db_url = f"sqlite:///{workdir / 'contract.sqlite3'}"
    env = {**os.environ, "DATABASE_URL": db_url, "DJANGO_SETTINGS_MODULE": "config.settings.local", "DEBUG": "false"}
    server = None
    try:
        started = time.monotonic()
        _manage(env, "migrate", "--noinput")
        _manage(env, "load_demo", "--password", "contract-only")
        tokens = {role: _manage(env, "api_token", username) for role, (username, _) in USERS.items()}
        schema = workdir / "schema.json"
        _manage(env, "spectacular", "--format", "openapi-json", "--file", str(schema))
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--timeout",
                "60",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(workdir / "gunicorn.log", "w"),
        )
        _wait_until_up(base, server)
        print(
            f"api-contract: demo loaded and served at {base} in {time.monotonic() - started:.0f} s "
            f"({'PostgreSQL' if drop else 'SQLite'}, Celery {'queued to Redis' if env.get('REDIS_URL') else 'eager'}); "
            f"{MAX_EXAMPLES} fuzzing examples per operation, seed {SEED}"
        )
        total = Counter()
        ok = True
        for role, token in tokens.items():
            run_started = time.monotonic()
            username, phases = USERS[role]
            outcome = _schemathesis(schema, base, token, phases, workdir / f"{username}.ndjson")
            counts = {check: outcome["failures"][check] for check in CHECKS}
            total.update(counts)
            total["cases"] += outcome["cases"]
            print(
                f"api-contract [{role}, {phases}]: {outcome['cases']} cases in {time.monotonic() - run_started:.0f} s; "
                f"server errors {counts['not_a_server_error']}, schema violations "
                f"{counts['response_schema_conformance']}, undocumented status codes {counts['status_code_conformance']}"
                + (f", {len(outcome['errors'])} errors" if outcome["errors"] else "")
            )
            if any(counts.values()) or outcome["errors"] or outcome["returncode"] != 0 or not outcome["cases"]:
                ok = False
                print(outcome["output"][-12000:])
        print(
            f"api-contract: {total['cases']} cases; {total['not_a_server_error']} server errors, "
            f"{total['response_schema_conformance']} schema violations, "
            f"{total['status_code_conformance']} undocumented status codes"
        )
        if not ok:
            print((workdir / "gunicorn.log").read_text()[-6000:])
        return 0 if ok else 1
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        if env.get("REDIS_URL"):
            subprocess.run(
                [str(BIN / "celery"), "-A", "config.celery_app", "purge", "-f"], cwd=ROOT, env=env, capture_output=True
            )
        if drop is not None:
            drop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
