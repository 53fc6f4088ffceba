"""Benchmark the API under gunicorn on PostgreSQL, against a one-query baseline.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/accord_bench \
        .venv/bin/python bench/generate.py --scale 10 --reset
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/accord_bench \
        .venv/bin/python bench/api_bench.py

Starts gunicorn on 127.0.0.1 (bench.settings: the app plus `/bench/baseline/`,
the first 100 points straight from one SQL query as JSON, and `/bench/limit/…`,
the same content as the provisions list, a point and a feed page, each from one
SQL query + orjson: `bench/limits.py`), then for each endpoint sends requests
from a few keep-alive connections, bounded by a count and a time limit, and
prints requests per second, p50 and p99 latency, the ratio to the baseline and
the ratio to the endpoint's own limit (a `304` is compared with the `200` of the
same point). Traffic goes to 127.0.0.1 only, and the server is stopped at the end.

`--only WORD` runs only the endpoints whose name contains WORD (and their limits).
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


def start_server(port: int, workers: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        # Production mode: no query log in memory, no debug pages.
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(40),
        "ALLOWED_HOSTS": HOST,
        "SECURE_SSL_REDIRECT": "0",
        "API_ANON_RATE": "off",
        "LOG_LEVEL": "WARNING",
    }
    command = [
        # The gunicorn of the Python running this script (its virtualenv), wherever the checkout is.
        str(Path(sys.executable).parent / "gunicorn"),
        "config.wsgi",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        # Slow pages are measured, not killed at gunicorn's default 30 s.
        "--timeout",
        "300",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            status, _ = get(port, "/bench/baseline/")
            if status == 200:
                return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    raise SystemExit("gunicorn did not answer on /bench/baseline/ within 30 s")


def get(
    port: int, path: str, connection: http.client.HTTPConnection | None = None, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    conn = connection or http.client.HTTPConnection(HOST, port, timeout=300)
    accept = "text/csv" if "format=csv" in path else "application/json"
    conn.request("GET", path, headers={"Accept": accept, **(headers or {})})
    response = conn.getresponse()
    body = response.read()
    if connection is None:
        conn.close()
    return response.status, body


def etag_of(port: int, path: str) -> str:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    conn.request("GET", path, headers={"Accept": "application/json"})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.getheader("ETag") or ""


@dataclass
class Endpoint:
    paths: Callable[[], str]
    limit: str | None = None  # the name of the row this one is measured against
    headers: Callable[[str], dict[str, str]] | None = None  # per path (If-None-Match)
    expect: int = 200


def load(port: int, endpoint: Endpoint, *, requests: int, seconds: float, clients: int) -> dict[str, float]:
    """Send up to `requests` requests (or for `seconds`) from `clients` keep-alive connections."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    issued = 0
    stop_at = time.monotonic() + seconds

    def worker() -> None:
        nonlocal issued, errors
        conn = http.client.HTTPConnection(HOST, port, timeout=300)
        while True:
            with lock:
                if issued >= requests or time.monotonic() >= stop_at:
                    break
                issued += 1
            path = endpoint.paths()
            headers = endpoint.headers(path) if endpoint.headers else None
            began = time.perf_counter()
            status, _ = get(port, path, conn, headers)
            elapsed = time.perf_counter() - began
            with lock:
                latencies.append(elapsed)
                errors += status != endpoint.expect
        conn.close()

    began = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    ordered = sorted(latencies) or [float("nan")]
    return {
        "requests": len(ordered),
        "errors": errors,
        "rps": len(ordered) / wall,
        "p50": statistics.median(ordered) * 1000,
        "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
    }


BASELINE = "baseline (100 rows, 1 query)"
LIST_LIMIT = "limit: provisions list, 1 query + orjson"
DETAIL_LIMIT = "limit: provision detail, 1 query + orjson"
FEED_LIMIT = "limit: changes feed page, 1 query + orjson"


def targets(port: int, rng: random.Random) -> dict[str, Endpoint]:
    """The endpoints, each drawing its ids from the generated data."""
    _, body = get(port, "/api/v1/provisions/?page_size=500")
    points = [p["id"] for p in json.loads(body)["results"]]
    _, body = get(port, "/api/v1/changes/?page_size=1")
    first = json.loads(body)["results"][0]["id"]
    last = first
    for _ in range(100):  # the last change id, to within 5000, in big steps
        _, body = get(port, f"/api/v1/changes/?after={last + 5000}&page_size=1")
        results = json.loads(body)["results"]
        if not results:
            break
        last = results[0]["id"]
    by_plan: dict[int, list[int]] = {}
    _, body = get(port, "/api/v1/versions/?page_size=500")
    for version in json.loads(body)["results"]:
        by_plan.setdefault(version["plan"], []).append(version["id"])
    pairs = [(ids[i], ids[i + 1]) for ids in by_plan.values() for i in range(len(ids) - 1)]
    _, body = get(port, "/api/v1/actors/?is_principal=true&page_size=500")
    parties = [a["id"] for a in json.loads(body)["results"]]
    # History rows are dated when the generator wrote them: as of today sees the whole record.
    as_of = datetime.datetime.now(datetime.UTC).date().isoformat()
    tags = {f"/api/v1/provisions/{pk}/": etag_of(port, f"/api/v1/provisions/{pk}/") for pk in points[:50]}
    detail_paths = list(tags)
    return {
        BASELINE: Endpoint(lambda: "/bench/baseline/"),
        LIST_LIMIT: Endpoint(lambda: "/bench/limit/provisions/?page_size=100"),
        "provisions list, page_size=100": Endpoint(lambda: "/api/v1/provisions/?page_size=100", LIST_LIMIT),
        DETAIL_LIMIT: Endpoint(lambda: f"/bench/limit/provisions/{rng.choice(points)}/"),
        "provisions CSV, page_size=100": Endpoint(lambda: "/api/v1/provisions/?format=csv&page_size=100"),
        "provision detail": Endpoint(lambda: f"/api/v1/provisions/{rng.choice(points)}/", DETAIL_LIMIT),
        "provision detail 200 (50 points)": Endpoint(lambda: rng.choice(detail_paths)),
        "provision detail 304 (If-None-Match)": Endpoint(
            lambda: rng.choice(detail_paths),
            "provision detail 200 (50 points)",
            headers=lambda path: {"If-None-Match": tags[path]},
            expect=304,
        ),
        FEED_LIMIT: Endpoint(lambda: f"/bench/limit/changes/?after={rng.randint(first, last)}&page_size=100"),
        "changes feed page (100)": Endpoint(
            lambda: f"/api/v1/changes/?after={rng.randint(first, last)}&page_size=100", FEED_LIMIT
        ),
        "compare two versions": Endpoint(lambda: "/api/v1/versions/{}/compare/{}/".format(*rng.choice(pairs))),
        "provisions ?as_of= (page of 100)": Endpoint(lambda: f"/api/v1/provisions/?as_of={as_of}&page_size=100"),
        "provisions ?actor=&stance= (100)": Endpoint(
            lambda: f"/api/v1/provisions/?actor={rng.choice(parties)}&stance=supports&page_size=100"
        ),
        "dashboard /timeline/": Endpoint(lambda: "/timeline/"),
        "dashboard /timeline/feed/": Endpoint(lambda: "/timeline/feed/"),
        "dashboard /actors/<id>/": Endpoint(lambda: f"/actors/{rng.choice(parties)}/"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description="API benchmark (gunicorn + PostgreSQL, 127.0.0.1 only).")
    parser.add_argument("--port", type=int, default=8092)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--requests", type=int, default=2000, help="at most this many requests per endpoint")
    parser.add_argument("--seconds", type=float, default=20, help="and at most this long per endpoint")
    parser.add_argument("--only", default="", help="run only the endpoints whose name contains this")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("Set DATABASE_URL to the PostgreSQL benchmark database (see bench/generate.py).", file=sys.stderr)
        return 2
    rng = random.Random(7)
    server = start_server(args.port, args.workers)
    try:
        endpoints = targets(args.port, rng)
        chosen = {name for name in endpoints if args.only in name}
        chosen |= {endpoints[name].limit for name in chosen if endpoints[name].limit} | {BASELINE}
        results: dict[str, dict[str, float]] = {}
        for name, endpoint in endpoints.items():
            if name not in chosen:
                continue
            load(args.port, endpoint, requests=50, seconds=5, clients=args.clients)  # warm-up
            results[name] = load(
                args.port, endpoint, requests=args.requests, seconds=args.seconds, clients=args.clients
            )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    base = results[BASELINE]
    print(f"gunicorn {args.workers} workers, {args.clients} keep-alive clients, {HOST}:{args.port}")
    print(
        f"{'endpoint':42} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'vs baseline':>11} {'vs limit':>9}"
    )
    for name, r in results.items():
        limit = endpoints[name].limit
        to_limit = f"{r['rps'] / results[limit]['rps']:>8.2f}x" if limit in results else f"{'':>9}"
        print(
            f"{name:42} {r['requests']:>8.0f} {r['rps']:>8.1f} {r['p50']:>8.1f} {r['p99']:>8.1f} "
            f"{r['rps'] / base['rps']:>10.2f}x {to_limit}" + (f"  ({r['errors']:.0f} errors)" if r["errors"] else "")
        )
    return 1 if any(r["errors"] for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
