"""How each dashboard page and API endpoint's cost grows with the size of the record.

    .venv/bin/python bench/page_scaling.py \
        --small postgres://postgres@127.0.0.1:5432/accord_s1 \
        --large postgres://postgres@127.0.0.1:5432/accord_s10

Both databases are filled by `bench/generate.py` (e.g. `--scale 1` and `--scale 10`). For
each database in turn it starts gunicorn on 127.0.0.1 (as `bench/api_bench.py` does), picks
the same kind of record in each (the newest version, its 21st point, the first principal
party, a source), sends every page and endpoint a bounded number of sequential requests
(live and "as of" a date), and prints the median time at each size and their ratio. A page
whose time grows with the whole record shows a ratio near the size ratio (10x); one that
reads a page's worth stays near 1x. Exits 1 if a request fails or a ratio exceeds `--max-ratio`.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import signal
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.api_bench import get, start_server


def pages(port: int) -> dict[str, str]:
    """Every dashboard page and the main API reads, on records of the same kind at any size."""
    _, body = get(port, "/api/v1/versions/?page_size=500")
    versions = sorted(json.loads(body)["results"], key=lambda v: (v["dated"], v["id"]))
    newest = versions[-1]
    revised = next((v for v in versions if v["id"] == newest.get("revises")), versions[-2])
    _, body = get(port, f"/api/v1/provisions/?version={newest['id']}&page_size=100")
    points = json.loads(body)["results"]
    point = points[min(20, len(points) - 1)]["id"]
    _, body = get(port, "/api/v1/actors/?is_principal=true&page_size=500")
    party = json.loads(body)["results"][0]["id"]
    _, body = get(port, "/api/v1/sources/?page_size=1")
    source = json.loads(body)["results"][0]["id"]
    version = newest["id"]
    dashboard = {
        "/ (overview)": f"/?version={version}",
        "/provisions/": f"/provisions/?version={version}",
        "/provisions/?party=&stance=": f"/provisions/?version={version}&party={party}&stance=opposes",
        "/provisions/<id>/": f"/provisions/{point}/",
        "/versions/compare/": "/versions/compare/",
        "/versions/<a>/compare/<b>/": f"/versions/{revised['id']}/compare/{version}/",
        "/territories/": f"/territories/?version={version}",
        "/timeline/": "/timeline/",
        "/timeline/?party=": f"/timeline/?party={party}",
        "/timeline/feed/": "/timeline/feed/",
        "/convergence/": f"/convergence/?version={version}",
        "/actors/": f"/actors/?version={version}",
        "/actors/<id>/": f"/actors/{party}/?version={version}",
        "/sources/<id>/": f"/sources/{source}/",
    }
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    as_of = {f"{name} as of": f"{url}{'&' if '?' in url else '?'}as_of={today}" for name, url in dashboard.items()}
    del as_of["/timeline/feed/ as of"]  # the feed has no past view
    api = {
        "API provisions list (100)": "/api/v1/provisions/?page_size=100",
        "API provisions CSV (100)": "/api/v1/provisions/?format=csv&page_size=100",
        "API provision detail": f"/api/v1/provisions/{point}/",
        "API provisions ?as_of= (100)": f"/api/v1/provisions/?as_of={today}&page_size=100",
        "API provisions ?actor=&stance= (100)": f"/api/v1/provisions/?actor={party}&stance=opposes&page_size=100",
        "API compare": f"/api/v1/versions/{revised['id']}/compare/{version}/",
        "API changes feed (100)": "/api/v1/changes/?page_size=100",
        "API positions (100)": "/api/v1/positions/?page_size=100",
        "API events (100)": "/api/v1/events/?page_size=100",
    }
    return {**dashboard, **as_of, **api}


def median_ms(port: int, path: str, *, requests: int, seconds: float) -> tuple[float, int]:
    """Median time of up to `requests` sequential GETs (at most `seconds`), after one warm-up;
    and the number of answers that were not 200."""
    get(port, path)
    times: list[float] = []
    failures = 0
    stop_at = time.monotonic() + seconds
    while len(times) < requests and time.monotonic() < stop_at:
        began = time.perf_counter()
        status, _ = get(port, path)
        times.append(time.perf_counter() - began)
        failures += status != 200
    return statistics.median(times) * 1000, failures


def measure(
    database_url: str, port: int, *, requests: int, seconds: float, only: str = ""
) -> dict[str, tuple[float, int]]:
    os.environ["DATABASE_URL"] = database_url
    server = start_server(port, workers=1)
    try:
        return {
            name: median_ms(port, path, requests=requests, seconds=seconds)
            for name, path in pages(port).items()
            if only in name
        }
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description="Page and endpoint cost at two data sizes (127.0.0.1 only).")
    parser.add_argument("--small", required=True, help="DATABASE_URL of the smaller generated record")
    parser.add_argument("--large", required=True, help="DATABASE_URL of the larger one")
    parser.add_argument("--port", type=int, default=8093)
    parser.add_argument("--requests", type=int, default=15, help="at most this many requests per page")
    parser.add_argument("--seconds", type=float, default=10, help="and at most this long per page")
    parser.add_argument("--max-ratio", type=float, default=2.0)
    parser.add_argument("--only", default="", help="measure only the pages whose name contains this")
    args = parser.parse_args()
    if not (args.small.startswith("postgres") and args.large.startswith("postgres")):
        print("Both databases must be PostgreSQL ones filled by bench/generate.py.", file=sys.stderr)
        return 2
    small = measure(args.small, args.port, requests=args.requests, seconds=args.seconds, only=args.only)
    large = measure(args.large, args.port, requests=args.requests, seconds=args.seconds, only=args.only)
    print(f"gunicorn 1 worker, sequential requests (at most {args.requests} or {args.seconds:g} s a page), 127.0.0.1")
    print(f"{'page or endpoint':44} {'small p50 ms':>12} {'large p50 ms':>12} {'ratio':>7}")
    worst = 0.0
    failed = 0
    for name, (small_ms, small_failures) in small.items():
        large_ms, large_failures = large[name]
        ratio = large_ms / small_ms
        worst = max(worst, ratio)
        failed += small_failures + large_failures
        flag = "  over" if ratio > args.max_ratio else ""
        errors = f"  ({small_failures + large_failures} failed)" if small_failures + large_failures else ""
        print(f"{name:44} {small_ms:>12.1f} {large_ms:>12.1f} {ratio:>6.2f}x{flag}{errors}")
    over = sum(1 for name in small if large[name][0] / small[name][0] > args.max_ratio)
    print(
        f"{len(small)} pages and endpoints; worst ratio {worst:.2f}x; {over} over {args.max_ratio:g}x; {failed} failed"
    )
    return 1 if over or failed else 0


if __name__ == "__main__":
    sys.exit(main())
