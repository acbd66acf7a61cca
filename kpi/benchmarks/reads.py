"""League reads under load: a synthetic N-branch table and a concurrent HTTP client that times the league API, the
league page and a trivial view against the same server (`manage.py benchmark_reads`; `benchmark_national` can call
`measure_reads` with its own server). Nothing here runs in the product.
"""

import http.client
import statistics
import threading
import time
import urllib.parse
from dataclasses import dataclass

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
    """One target's answers over the run: count, errors (not 200/304), latency percentiles and throughput."""

    name: str
    requests: int
    errors: int
    p50: float
    p95: float
    per_second: float
    size: int

    def line(self) -> str:
        return (f"{self.name:<10} {self.requests:6d} 次  错误 {self.errors:3d}  p50 {self.p50 * 1000:7.1f} ms  "
                f"p95 {self.p95 * 1000:7.1f} ms  {self.per_second:7.1f} 次/秒  {self.size / 1024:8.1f} KB")


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def measure_reads(base_url: str, targets: dict[str, tuple[str, dict]], *, clients: int = 50, seconds: float = 10,
                  warmup: float = 1.0) -> dict[str, Timing]:
    """Drive `clients` concurrent keep-alive connections for `seconds` per target, one target after another, and
    time every answer. `targets` maps a name to (path, headers), e.g. ("/api/v1/league/?…", {"Authorization":
    "Token …"}) or ({"Cookie": "sessionid=…"}). A first `warmup` second per target is not counted."""
    parts = urllib.parse.urlsplit(base_url)
    host, port = parts.hostname, parts.port or 80
    out = {}
    for name, (path, headers) in targets.items():
        latencies: list[float] = []
        errors = [0]
        sizes = [0]
        lock = threading.Lock()
        counting = threading.Event()
        stop = threading.Event()

        def client(path=path, headers=headers, latencies=latencies, errors=errors, sizes=sizes, lock=lock,
                   counting=counting, stop=stop):
            conn = http.client.HTTPConnection(host, port, timeout=120)
            mine, bad = [], 0
            while not stop.is_set():
                start = time.perf_counter()
                try:
                    conn.request("GET", path, headers=headers)
                    response = conn.getresponse()
                    body = response.read()
                    status = response.status
                except (OSError, http.client.HTTPException):
                    conn.close()
                    conn = http.client.HTTPConnection(host, port, timeout=120)
                    status, body = 0, b""
                elapsed = time.perf_counter() - start
                if counting.is_set() and not stop.is_set():
                    mine.append(elapsed)
                    bad += status not in (200, 304)
                    sizes[0] = max(sizes[0], len(body))
            conn.close()
            with lock:
                latencies.extend(mine)
                errors[0] += bad

        threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
        for t in threads:
            t.start()
        time.sleep(warmup)
        counting.set()
        began = time.perf_counter()
        time.sleep(seconds)
        stop.set()
        elapsed = time.perf_counter() - began
        for t in threads:
            t.join(timeout=130)
        out[name] = Timing(name, len(latencies), errors[0], _percentile(latencies, 50), _percentile(latencies, 95),
                           len(latencies) / elapsed, sizes[0])
    return out
