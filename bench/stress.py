"""Concurrent editors against a real server: no 5xx, no lost update, an exact change feed,
every webhook delivered once.

Starts gunicorn on a free 127.0.0.1 port (PostgreSQL: `DATABASE_URL` with `_stress`
appended to its name, created and migrated if missing) and a webhook receiver on
127.0.0.1, then runs N writers (`--writers`, up to 16) that mix creates, updates and
deletes of every resource over the HTTP API with an editor's token: versions are deleted
while their points are edited, webhook subscriptions come and go, and some writers
increment one field with If-Match. Bounded: `--ops` per writer and `--seconds` in all.
At the end it runs the webhook sweep, replays the change feed and compares it with the
API, checks that each stable subscriber got every change exactly once, and prints

    5xx=0 lost_updates=0 feed_mismatch=0 webhook_missing=0 webhook_duplicate=0

exiting 1 if any count is not 0.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/accord .venv/bin/python bench/stress.py --writers 8
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MAX_WRITERS = 16
STABLE_SUBSCRIBERS = 2


def stress_database_url(url: str) -> str:
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("bench/stress.py needs PostgreSQL: set DATABASE_URL=postgres://…")
    base, _, name = url.rpartition("/")
    return f"{base}/{name.split('?')[0]}_stress"


def prepare_database(url: str) -> None:
    """Create the stress database if missing, then migrate it (a no-op once done)."""
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=server_env(url), check=True)


def server_env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"CELERY_BROKER_URL", "REDIS_URL"}}
    # Embedded Celery (deliveries POSTed inline after commit), loopback receiver allowed.
    env.update(DATABASE_URL=url, DEBUG="1", WEBHOOK_ALLOW_PRIVATE_TARGETS="1", WEBHOOK_ALLOW_HTTP="1")
    env.update(API_ANON_RATE="off", DJANGO_SETTINGS_MODULE="config.settings")
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Receiver:
    """Webhook receiver on 127.0.0.1: every POST's (path, change id, idempotency key)."""

    def __init__(self) -> None:
        self.received: list[tuple[str, int, str]] = []
        lock = threading.Lock()
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with lock:
                    received.append((self.path, body["id"], self.headers.get("Idempotency-Key", "")))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statuses: collections.Counter = collections.Counter()
        self.examples: dict[tuple[str, int], str] = {}
        self.increments = 0

    def saw(self, response: requests.Response) -> requests.Response:
        with self.lock:
            self.statuses[response.status_code] += 1
            # The first answer of each kind of refusal, to tell a race (404, 409, 412) from a bad script.
            if response.status_code >= 400:
                key = (response.request.method, response.status_code)
                self.examples.setdefault(key, f"{response.request.path_url}: {response.text[:200]}")
        return response

    @property
    def server_errors(self) -> int:
        return sum(count for code, count in self.statuses.items() if code >= 500)


class Writer:
    """One editor's script: every write reads the record's ETag first and sends it back."""

    def __init__(self, base: str, token: str, tally: Tally, world: dict[str, Any], rng: random.Random) -> None:
        self.base, self.tally, self.world, self.rng = base, tally, world, rng
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Token {token}"

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.tally.saw(self.session.request(method, self.base + path, timeout=30, **kwargs))

    def etag(self, path: str) -> str | None:
        response = self.call("GET", path)
        return response.headers.get("ETag") if response.status_code == 200 else None

    def write(self, method: str, path: str, body: dict | None = None) -> requests.Response | None:
        etag = self.etag(path)
        if etag is None:
            return None  # deleted meanwhile
        return self.call(method, path, json=body, headers={"If-Match": etag})

    def create(self, resource: str, body: dict) -> int | None:
        response = self.call("POST", f"/api/v1/{resource}/", json=body)
        return response.json()["id"] if response.status_code == 201 else None

    # --- the operations, picked at random -------------------------------------------

    def new_version(self) -> None:
        tag = uuid.uuid4().hex[:8]
        version = self.create(
            "versions",
            {"plan": self.world["plan"], "label": f"Draft {tag}", "dated": "2025-11-20", "sources": self.sources()},
        )
        if version is None:
            return
        for number in range(1, 5):
            self.create(
                "provisions",
                {
                    "version": version,
                    "number": str(number),
                    "title": f"Point {number}",
                    "text": f"Both sides hold point {number}.",
                    "topics": ["ceasefire"],
                },
            )
        self.world["versions"].append(version)

    def sources(self) -> list[int]:
        return self.rng.sample(self.world["sources"], 1)

    def some_point(self) -> int | None:
        versions = list(self.world["versions"])
        if not versions:
            return None
        response = self.call("GET", f"/api/v1/provisions/?version={self.rng.choice(versions)}")
        points = [item["id"] for item in response.json().get("results", [])] if response.status_code == 200 else []
        return self.rng.choice(points) if points else None

    def edit_point(self) -> None:
        point = self.some_point()
        if point is not None:
            self.write("PATCH", f"/api/v1/provisions/{point}/", {"title": f"Edited {uuid.uuid4().hex[:6]}"})

    def delete_point(self) -> None:
        point = self.some_point()
        if point is not None:
            self.write("DELETE", f"/api/v1/provisions/{point}/")

    def delete_version(self) -> None:
        versions = self.world["versions"]
        if len(versions) > 2:
            version = self.rng.choice(list(versions))
            self.write("DELETE", f"/api/v1/versions/{version}/")

    def take_stance(self) -> None:
        point = self.some_point()
        if point is not None:
            body = {
                "actor": self.world["actor"],
                "provision": point,
                "stance": self.rng.choice(["supports", "opposes", "conditional"]),
                "summary": "Said so at a briefing.",
                "taken_on": "2025-11-21",
                "sources": self.sources(),
            }
            self.create("positions", body)

    def event(self) -> None:
        event = self.create(
            "events", {"title": "Talks", "occurred_on": "2025-11-22", "sources": self.sources(), "summary": "Met."}
        )
        if event is not None and self.rng.random() < 0.5:
            self.write("DELETE", f"/api/v1/events/{event}/")

    def territory(self) -> None:
        path = f"/api/v1/territories/{self.world['territory']}/"
        self.write("PATCH", path, {"description": f"Seen {uuid.uuid4().hex[:6]}"})

    def source(self) -> None:
        tag = uuid.uuid4().hex[:8]
        source = self.create("sources", {"publisher": "Wire", "title": f"Report {tag}", "url": f"https://ex.org/{tag}"})
        if source is not None:
            self.write("PATCH", f"/api/v1/sources/{source}/", {"title": f"Report {tag} (updated)"})
            self.write("DELETE", f"/api/v1/sources/{source}/")

    def churn_webhook(self) -> None:
        body = {"url": f"{self.world['receiver']}/churn", "event_kinds": self.world["event_kinds"]}
        response = self.call("POST", "/api/v1/webhooks/", json=body)
        if response.status_code == 201:
            self.call("DELETE", f"/api/v1/webhooks/{response.json()['id']}/")

    def increment(self) -> None:
        """The lost-update probe: read the counter with its ETag, write it + 1 with If-Match, retry on 412."""
        path = f"/api/v1/plans/{self.world['plan']}/"
        for _ in range(50):
            response = self.call("GET", path)
            value = int(response.json()["description"] or 0)
            if_match = {"If-Match": response.headers["ETag"]}
            written = self.call("PATCH", path, json={"description": str(value + 1)}, headers=if_match)
            if written.status_code == 200:
                with self.tally.lock:
                    self.tally.increments += 1
                return
            if written.status_code != 412:
                return
            time.sleep(self.rng.uniform(0, 0.02))

    OPERATIONS = (
        (new_version, 2),
        (edit_point, 5),
        (delete_point, 2),
        (delete_version, 1),
        (take_stance, 3),
        (event, 2),
        (territory, 2),
        (source, 1),
        (churn_webhook, 1),
        (increment, 3),
    )

    def run(self, ops: int, deadline: float) -> None:
        functions = [op for op, _ in self.OPERATIONS]
        weights = [weight for _, weight in self.OPERATIONS]
        for _ in range(ops):
            if time.monotonic() > deadline:
                return
            self.rng.choices(functions, weights)[0](self)


def setup_world(url: str) -> tuple[str, dict[str, Any]]:
    """An editor with a token and the records the writers share (in this process, on the stress database)."""
    os.environ.update(server_env(url))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from rest_framework.authtoken.models import Token

    from actors.models import Actor
    from editors.permissions import EDITORS_GROUP
    from exchange.choices import WebhookEvent
    from history.writing import save_recorded
    from provisions.models import Plan, Source, Territory

    tag = uuid.uuid4().hex[:8]
    user = get_user_model().objects.create_user(f"stress-{tag}", is_staff=True)
    user.groups.add(Group.objects.get(name=EDITORS_GROUP))
    token = Token.objects.create(user=user).key
    plan = save_recorded(Plan(name=f"Stress plan {tag}", slug=f"stress-{tag}", description="0"))
    actor = save_recorded(Actor(name=f"Stress actor {tag}", slug=f"stress-actor-{tag}", kind="state"))
    sources = [
        save_recorded(Source(publisher="Wire", title=f"Stress source {tag} {n}", url=f"https://ex.org/{tag}/{n}"))
        for n in range(3)
    ]
    territory = save_recorded(Territory(name=f"Stress territory {tag}", slug=f"stress-territory-{tag}"))
    world = {
        "plan": plan.pk,
        "actor": actor.pk,
        "sources": [s.pk for s in sources],
        "territory": territory.pk,
        "versions": [],
        "event_kinds": list(WebhookEvent.values),
    }
    return token, world


def start_server(url: str, workers: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(workers),
            "--threads",
            "4",
            "--timeout",
            "60",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=server_env(url),
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if requests.get(f"{base}/healthz", timeout=5).status_code == 200:
                return server, base
        except requests.RequestException:  # not listening yet, or still loading
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start")


def replay_changes(fetch_page: Callable[[str], dict], *, most_pages: int = 100_000) -> tuple[dict, list[int]]:
    """What a consumer of the change feed does: poll from the start (`fetch_page(cursor)` answers
    one page), apply every entry in order. The records as last written, and the ids seen."""
    store: dict[tuple[str, int], dict] = {}
    seen: list[int] = []
    cursor = "0"
    for _ in range(most_pages):
        body = fetch_page(cursor)
        for entry in body["results"]:
            seen.append(entry["id"])
            key = (entry["record_type"], entry["record_id"])
            if entry["action"] == "deleted":
                store.pop(key, None)
            else:
                store[key] = entry["data"]
        cursor = body["next_cursor"]
        if not body["has_more"]:
            return store, seen
    raise AssertionError("the feed never ended")


def replay_feed(session: requests.Session, base: str) -> tuple[dict, list[int]]:
    return replay_changes(
        lambda cursor: session.get(
            f"{base}/api/v1/changes/", params={"after": cursor, "page_size": 500}, timeout=60
        ).json()
    )


def listed(session: requests.Session, base: str, resource: str) -> dict[int, dict]:
    items: dict[int, dict] = {}
    url: str | None = f"{base}/api/v1/{resource}/?page_size=500"
    while url:
        body = session.get(url, timeout=60).json()
        items.update({item["id"]: item for item in body["results"]})
        url = body["next"]
    return items


FLAT = {
    "plans": "provisions.plan",
    "versions": "provisions.version",
    "sources": "provisions.source",
    "actors": "actors.actor",
    "positions": "actors.position",
    "events": "actors.event",
}


def feed_mismatches(session: requests.Session, base: str) -> int:
    """Records on which the replayed feed and the API disagree (missing, extra or different)."""
    store, seen = replay_feed(session, base)
    mismatches = 0 if seen == sorted(set(seen)) else 1

    def of_type(record_type: str) -> dict[int, dict]:
        return {pk: data for (kind, pk), data in store.items() if kind == record_type}

    for resource, record_type in FLAT.items():
        api, fed = listed(session, base, resource), of_type(record_type)
        mismatches += len(set(api) ^ set(fed)) + sum(1 for pk in set(api) & set(fed) if api[pk] != fed[pk])
    api, fed = listed(session, base, "provisions"), of_type("provisions.provision")
    mismatches += len(set(api) ^ set(fed))
    mismatches += sum(1 for pk in set(api) & set(fed) if any(api[pk][k] != v for k, v in fed[pk].items()))
    api, fed = listed(session, base, "territories"), of_type("provisions.territory")
    mismatches += len(set(api) ^ set(fed))
    return mismatches


def settle_webhooks() -> None:
    """What the worker's sweep does: follow the change log, send what is pending."""
    from exchange import services
    from exchange.choices import DeliveryStatus
    from exchange.models import WebhookDelivery

    services.webhooks_dispatch()
    for delivery_id in WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).values_list("pk", flat=True):
        services.webhook_deliver(delivery_id=delivery_id)


def webhook_counts(receiver: Receiver, stable: dict[int, str], first_change: int) -> tuple[int, int]:
    """(missing, duplicate) over the stable subscribers: each wants every change after it subscribed."""
    from exchange import webhooks
    from history.models import Change

    # They subscribe to every kind, so every change of a record type with an event is theirs.
    wanted_ids = set(
        Change.objects.filter(id__gt=first_change, record_type__in=list(webhooks.RECORD_EVENTS)).values_list(
            "id", flat=True
        )
    )
    missing = duplicate = 0
    for path in stable.values():
        got = collections.Counter(change for where, change, _ in receiver.received if where == path)
        missing += len(wanted_ids - set(got))
        duplicate += sum(count - 1 for count in got.values() if count > 1)
    return missing, duplicate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--writers", type=int, default=4, help=f"concurrent writers, 1–{MAX_WRITERS} (default 4)")
    parser.add_argument("--ops", type=int, default=30, help="operations per writer (default 30)")
    parser.add_argument("--seconds", type=float, default=45, help="no new operation after this long (default 45)")
    parser.add_argument("--server-workers", type=int, default=2, help="gunicorn worker processes (default 2)")
    args = parser.parse_args(argv)
    if not 1 <= args.writers <= MAX_WRITERS:
        parser.error(f"--writers must be 1 to {MAX_WRITERS}")
    url = stress_database_url(os.environ.get("DATABASE_URL", ""))
    prepare_database(url)
    token, world = setup_world(url)
    from history.models import Change

    receiver = Receiver()
    world["receiver"] = receiver.url
    server, base = start_server(url, args.server_workers)
    tally = Tally()
    started = time.monotonic()
    try:
        admin = Writer(base, token, tally, world, random.Random(0))
        stable = {}
        for n in range(STABLE_SUBSCRIBERS):
            body = {"url": f"{receiver.url}/stable-{n}", "event_kinds": world["event_kinds"]}
            stable[admin.call("POST", "/api/v1/webhooks/", json=body).json()["id"]] = f"/stable-{n}"
        # A subscription starts at the end of the log: it wants what is committed after it.
        first_change = Change.objects.order_by("-id").values_list("id", flat=True).first() or 0
        admin.new_version()
        deadline = started + args.seconds
        writers = [Writer(base, token, tally, world, random.Random(n + 1)) for n in range(args.writers)]
        threads = [threading.Thread(target=w.run, args=(args.ops, deadline)) for w in writers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        counter = int(admin.call("GET", f"/api/v1/plans/{world['plan']}/").json()["description"])
        lost_updates = abs(tally.increments - counter)
        settle_webhooks()
        mismatches = feed_mismatches(admin.session, base)
        missing, duplicate = webhook_counts(receiver, stable, first_change)
    finally:
        server.terminate()
        server.wait(10)
        receiver.server.shutdown()
    elapsed = time.monotonic() - started
    writes = sum(tally.statuses.values())
    print(
        f"writers={args.writers} requests={writes} seconds={elapsed:.1f} "
        f"statuses={dict(sorted(tally.statuses.items()))} increments={tally.increments}"
    )
    for (method, code), example in sorted(tally.examples.items()):
        print(f"  first {code} to a {method}: {example}")
    counts = {
        "5xx": tally.server_errors,
        "lost_updates": lost_updates,
        "feed_mismatch": mismatches,
        "webhook_missing": missing,
        "webhook_duplicate": duplicate,
    }
    print(" ".join(f"{name}={value}" for name, value in counts.items()))
    return 1 if any(counts.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
