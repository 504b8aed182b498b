"""Scenario 3: the PostgreSQL server restarted under a steady load. A private instance (never
the shared one): during the outage requests fail cleanly (503 problem+json, nothing hanging),
/healthz says so, and afterwards the desk recovers by itself, without restarting meja."""

from __future__ import annotations

import time
import uuid
from collections import Counter

from harness import (Database, Failure, Meja, PrivatePostgres, audit_verify, build_city, call, new_ticket_body,
                     percentile)
from load import Load, Outcome

WARM = 5.0  # seconds of load before the restart
DOWN = 3.0  # seconds the server stays stopped
RECOVER_WITHIN = 20.0  # writes must succeed again this soon after the server is back
STEADY = 5.0  # seconds of load after recovery that must all succeed
SLOW = 15.0  # no request may take longer


def run(binary: str, cleanup) -> str:
    pg = PrivatePostgres(cleanup)
    pg.start()
    db = Database("postgres", cleanup, server_url=pg.url)
    meja = Meja(binary, db.url, cleanup, db.dir, name="serve-private-pg", env={"MEJA_JOBS_INTERVAL_SECONDS": "1"})
    meja.start()
    city = build_city(meja.base, mailbox=False)
    agent = city.tokens["t1.dinkes"]
    first = call(meja.base, "POST", "/api/v1/tickets", new_ticket_body("Tiket baca", "baca@warga.test"), agent)
    if first.status != 201:
        raise Failure(f"first ticket: {first.status}")
    number = first.body["number"]

    def create(i: str) -> Outcome:
        title = f"Beban {uuid.uuid4().hex}"
        r = call(meja.base, "POST", "/api/v1/tickets", new_ticket_body(title, f"w{i}@warga.test"), agent)
        return Outcome("write", title, r.status, r.elapsed, time.monotonic() - r.elapsed, r.content_type, r.body, r.error)

    def read(i: str) -> Outcome:
        path = "/api/v1/tickets?status=active&limit=20" if i.endswith(("0", "2", "4", "6", "8")) else f"/api/v1/tickets/{number}"
        r = call(meja.base, "GET", path, token=agent)
        return Outcome("read", path, r.status, r.elapsed, time.monotonic() - r.elapsed, r.content_type, r.body, r.error)

    def health(i: str) -> Outcome:
        r = call(meja.base, "GET", "/healthz", timeout=SLOW)
        return Outcome("healthz", "", r.status, r.elapsed, time.monotonic() - r.elapsed, r.content_type, r.body, r.error)

    load = Load(pace=0.1)  # each worker 10 requests/s at most
    load.add(create, threads=2, budget=600)
    load.add(read, threads=2, budget=600)
    health_load = Load(pace=0.25)
    health_load.add(health, threads=1, budget=400)
    started = time.monotonic()
    load.start()
    health_load.start()
    time.sleep(WARM)

    down_at = time.monotonic()
    pg.stop("fast")
    time.sleep(DOWN)
    pg.start()
    up_at = time.monotonic()

    recovered_at = None
    while time.monotonic() - up_at < RECOVER_WITHIN + 5:
        if meja.proc.poll() is not None:
            raise Failure(f"meja exited during the outage ({meja.proc.returncode}):\n{meja.tail()}")
        ok_writes = [o for o in load.acked("write") if o.started >= up_at]
        if ok_writes:
            recovered_at = min(o.started + o.elapsed for o in ok_writes)
            break
        time.sleep(0.2)
    if recovered_at is None:
        load.stop()
        health_load.stop()
        raise Failure(f"no write succeeded within {RECOVER_WITHIN + 5:.0f} s after PostgreSQL was back:\n{meja.tail()}")
    steady_from = time.monotonic()
    time.sleep(STEADY)
    load.stop()
    health_load.stop()
    ended = time.monotonic()
    if meja.proc.poll() is not None:
        raise Failure(f"meja exited ({meja.proc.returncode})")

    outcomes = load.snapshot()
    checks = health_load.snapshot()
    statuses = Counter(o.status for o in outcomes)
    server_errors = [o for o in outcomes if o.status >= 500 and o.status != 503]
    if server_errors:
        o = server_errors[0]
        raise Failure(f"{len(server_errors)} answers other than 503 among the 5xx, e.g. {o.status} {o.kind} "
                      f"{str(o.body)[:300]} (statuses {dict(statuses)})\n{meja.tail(12)}")
    unclean = [o for o in outcomes if o.status == 503 and ("problem+json" not in o.content_type
                                                            or not isinstance(o.body, dict) or o.body.get("status") != 503)]
    if unclean:
        raise Failure(f"{len(unclean)} 503 answers without a problem+json body, e.g. {unclean[0].content_type} {str(unclean[0].body)[:200]}")
    slow = [o for o in outcomes + checks if o.elapsed > SLOW]
    if slow:
        raise Failure(f"{len(slow)} requests took over {SLOW:.0f} s (longest {max(o.elapsed for o in slow):.1f} s)")
    refused = [o for o in outcomes + checks if o.status == 0]
    if refused:
        raise Failure(f"{len(refused)} requests got no HTTP answer from meja, e.g. {refused[0].error}")
    before = [o.status for o in checks if o.started + o.elapsed < down_at]
    during = [o.status for o in checks if down_at <= o.started and o.started + o.elapsed <= up_at + RECOVER_WITHIN]
    after = [o.status for o in checks if o.started >= steady_from]
    if not before or set(before) != {200}:
        raise Failure(f"/healthz before the restart: {Counter(before)}")
    if 503 not in during:
        raise Failure(f"/healthz never reported the outage: {Counter(during)} (longest check "
                      f"{max(o.elapsed for o in checks):.1f} s; API statuses {dict(statuses)})")
    if not after or set(after) != {200}:
        raise Failure(f"/healthz after recovery: {Counter(after)}")
    late = [o for o in outcomes if o.started >= steady_from]
    late_bad = [o for o in late if not 200 <= o.status < 300]
    if not late or late_bad:
        raise Failure(f"after recovery {len(late_bad)} of {len(late)} requests failed, e.g. "
                      f"{late_bad[0].status if late_bad else ''} {str(late_bad[0].body)[:200] if late_bad else ''}")
    acked = [o.body["number"] for o in load.acked("write")]
    rows = db.rows("SELECT number FROM tickets")
    present = {r[0] for r in rows}
    missing = [n for n in acked if n not in present]
    if missing:
        raise Failure(f"acknowledged tickets missing: {missing[:5]}")
    failed_503 = statuses.get(503, 0)
    outage = [o for o in outcomes if down_at <= o.started <= recovered_at]
    meja.stop()
    verdict = audit_verify(meja)
    return (f"{len(outcomes)} requests over {ended - started:.0f} s, PostgreSQL down {up_at - down_at:.1f} s: "
            f"statuses {dict(sorted(statuses.items()))}; {failed_503} clean 503 problem+json, no 500, no dropped "
            f"connection; slowest {max(o.elapsed for o in outcomes):.1f} s (p99 during the outage "
            f"{percentile([o.elapsed for o in outage], 99):.2f} s); /healthz 200 → 503 ({during.count(503)}×) → 200; "
            f"writes again {recovered_at - up_at:.1f} s after PostgreSQL was back, then {len(late)}/{len(late)} ok; "
            f"{len(acked)} acknowledged tickets all there; {verdict}")
