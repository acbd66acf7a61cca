"""League reads under load: a synthetic N-branch table and a concurrent HTTP client that times the league API, the
league page and a trivial view against the same server (`manage.py benchmark_reads`; `benchmark_national` can call
`measure_reads` with its own server). Nothing here runs in the product.

Two clients, both closed-loop (each connection sends its next request when the answer is in) and both asking as a
browser does (`Accept-Encoding: gzip`, answers decoded): `wrk` (Debian's package, C, a few % of a core) where it is
installed, and a Python one of threads otherwise, which takes about a core of this 2-core machine from the server.
"""

import http.client
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.parse
import zlib
from dataclasses import dataclass
from pathlib import Path

from branches.models import Branch
from kpi.models import BranchScore, ScoreRun


def synthetic_run(*, scheme, model_run: ScoreRun, count: int, prefix: str = "bench") -> ScoreRun:
    """A new current run of the model run's window with `count` branches under the scheme's province, each a copy
    of one of the model run's branch scores (cycled) with its cells and explanations, ranked by total."""
    province = scheme.province
    new = Branch.objects.bulk_create(
        (Branch(code=f"{prefix}{n:05d}", name=f"合成机构{n:05d}", level=scheme.level, parent=province, sort_order=10_000 + n)
         for n in range(count)),
        batch_size=2000,
    )
    models = list(model_run.branch_scores.all())
    ScoreRun.objects.filter(scheme=scheme, month=model_run.month, is_current=True).update(is_current=False)
    run = ScoreRun.objects.create(scheme=scheme, version=model_run.version, month=model_run.month, status="complete",
                                  is_current=True, completed_at=model_run.completed_at, targets=model_run.targets)
    rows = sorted(((b, models[n % len(models)]) for n, b in enumerate(new)), key=lambda p: -p[1].total)
    BranchScore.objects.bulk_create(
        (BranchScore(run=run, branch=b, qualitative=m.qualitative, quantitative=m.quantitative, deductions=m.deductions,
                     total=m.total, rank=rank, vetoed=m.vetoed, detail=m.detail, cells=m.cells)
         for rank, (b, m) in enumerate(rows, 1)),
        batch_size=2000,
    )
    return run


@dataclass
class Timing:
    """One target's answers over the run: count, errors (not 200/304), latency percentiles, throughput, the mean
    size of an answer as sent (compressed; wrk counts its headers too) and the slowest answer."""

    name: str
    requests: int
    errors: int
    p50: float
    p95: float
    per_second: float
    size: int
    worst: float

    def line(self) -> str:
        return (f"{self.name:<10} {self.requests:6d} 次  错误 {self.errors:3d}  p50 {self.p50 * 1000:7.1f} ms  "
                f"p95 {self.p95 * 1000:7.1f} ms  最慢 {self.worst * 1000:7.1f} ms  {self.per_second:7.1f} 次/秒  "
                f"{self.size / 1024:8.1f} KB")


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


BROWSER = {"Accept-Encoding": "gzip, deflate, br"}  # what every browser (and `requests`) sends
WARMUPS = 10


def pick_client(client: str) -> str:
    """"wrk" or "python" as asked; "auto" is wrk when it is on the PATH."""
    if client == "auto":
        return "wrk" if shutil.which("wrk") else "python"
    return client


def measure_reads(base_url: str, targets: dict[str, tuple[str, dict]], *, clients: int = 50, seconds: int = 10,
                  warmup: int = 2, client: str = "auto") -> dict[str, Timing]:
    """Drive `clients` concurrent connections for `seconds` per target, one target after another, and time every
    answer. `targets` maps a name to (path, headers), e.g. ("/api/v1/league/?…", {"Authorization": "Token …"}) or
    ({"Cookie": "sessionid=…"}). Each target is first driven for `warmup` seconds at a time until it is steady: every
    server process renders a page the first time it is asked (the national table's takes seconds), and an answer
    still being rendered when a run ends is never timed, only seen as a run with fewer answers. So a target counts as
    warm when a run's slowest answer took under a second and its rate is within 15 % of the run before (at most
    WARMUPS runs). `client` is "wrk", "python" or "auto" (`pick_client`)."""
    measure = _measure_wrk if pick_client(client) == "wrk" else _measure_python
    out = {}
    for name, (path, headers) in targets.items():
        headers = {**BROWSER, **headers}
        previous = None
        for _ in range(WARMUPS):
            warm = measure(base_url, name, path, headers, clients, warmup)
            if previous and previous.per_second and warm.worst < 1 and 0.85 <= warm.per_second / previous.per_second <= 1.15:
                break
            previous = warm
        out[name] = measure(base_url, name, path, headers, clients, seconds)
    return out


# wrk's report of one run: requests, seconds, errors (sockets, timeouts, statuses ≥ 400), bytes and the latency
# percentiles, in microseconds, from its own complete record of every request's latency.
_WRK_REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("wrk-report %d %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    e.connect + e.read + e.write + e.status + e.timeout, summary.bytes, latency:percentile(50), latency:percentile(95),
    latency.max))
end
"""


def _measure_wrk(base_url, name, path, headers, clients, seconds) -> Timing:
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "report.lua"
        script.write_text(_WRK_REPORT)
        command = ["wrk", "-t", str(min(2, clients)), "-c", str(clients), "-d", f"{max(1, round(seconds))}s",
                   "--timeout", "120s", "-s", str(script), *(a for k, v in headers.items() for a in ("-H", f"{k}: {v}")),
                   base_url.rstrip("/") + path]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    report = next(line for line in output.splitlines() if line.startswith("wrk-report "))
    requests, micros, errors, size, p50, p95, worst = (int(x) for x in report.split()[1:])
    return Timing(name, requests, errors, p50 / 1e6, p95 / 1e6, requests / (micros / 1e6), size // max(requests, 1),
                  worst / 1e6)


def _measure_python(base_url, name, path, headers, clients, seconds) -> Timing:
    parts = urllib.parse.urlsplit(base_url)
    host, port = parts.hostname, parts.port or 80
    latencies: list[float] = []
    errors = [0]
    sizes: list[int] = []
    lock = threading.Lock()
    stop = threading.Event()

    def client():
        conn = http.client.HTTPConnection(host, port, timeout=120)
        mine, bad = [], 0
        while not stop.is_set():
            start = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                body = response.read()
                if response.getheader("Content-Encoding") == "gzip":
                    zlib.decompress(body, 16 + zlib.MAX_WBITS)  # what the browser does before it can show the page
                status = response.status
            except (OSError, http.client.HTTPException, zlib.error):
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=120)
                status, body = 0, b""
            elapsed = time.perf_counter() - start
            if not stop.is_set():
                mine.append(elapsed)
                bad += status not in (200, 304)
                sizes.append(len(body))
        conn.close()
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    began = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    elapsed = time.perf_counter() - began
    for t in threads:
        t.join(timeout=130)
    return Timing(name, len(latencies), errors[0], _percentile(latencies, 50), _percentile(latencies, 95),
                  len(latencies) / elapsed, sum(sizes) // max(len(sizes), 1), max(latencies, default=0.0))
