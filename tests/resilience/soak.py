#!/usr/bin/env python3
"""A soak: a steady mixed load against `meja serve` (release build) for a fixed time, sampling
the process's memory and the latency every 30 s. A benchmark that prints numbers (for
docs/benchmarks.md), not a test: it is not run by scripts/test.

  cargo build --release --bin meja
  python3 tests/resilience/soak.py [--minutes 10] [--rate 50] [--backend sqlite|postgres]

The load is open-loop at `--rate` requests per second (a request is due every 1/rate s whether
or not the last one has answered), mixed as a desk's day is: 20% tickets opened, 30% queue pages,
25% ticket pages, 15% public replies, 10% status actions (start, pend, resume, resolve, in turn
on each ticket). Everything on 127.0.0.1; the database is a scratch one, removed at the end.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import queue
import random
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import Cleanup, Database, Meja, build_city, call, meja_binary, new_ticket_body, percentile  # noqa: E402

MIX = [("create", 20), ("queue", 30), ("read", 25), ("reply", 15), ("action", 10)]
ACTIONS = [("start", {}), ("pend", {"reason": "Menunggu jawaban pelapor"}), ("resume", {}),
           ("resolve", {"resolution": "Akun dibuka kembali; sudah bisa masuk."})]


class Soak:
    def __init__(self, meja: Meja, token: str, rate: float, workers: int):
        self.meja, self.token, self.rate = meja, token, rate
        self.jobs: queue.Queue = queue.Queue()
        self.results: list = []  # (finished_at, kind, status, seconds)
        self.lock = threading.Lock()
        self.tickets: list[str] = []
        self.acting: collections.deque = collections.deque()  # (number, next action index)
        self.stop = threading.Event()
        self.late = 0
        self.workers = [threading.Thread(target=self.work, daemon=True) for _ in range(workers)]
        weights = [w for _, w in MIX]
        self.pick = lambda: random.choices([k for k, _ in MIX], weights)[0]

    def one(self, kind: str) -> tuple[int, float]:
        base, t = self.meja.base, self.token
        with self.lock:
            known = list(self.tickets[-500:])
        if kind != "create" and not known:
            kind = "create"
        if kind == "create":
            r = call(base, "POST", "/api/v1/tickets",
                     new_ticket_body(f"Soak {uuid.uuid4().hex[:12]}", f"s{uuid.uuid4().hex[:8]}@warga.test"), t)
            if r.status == 201:
                with self.lock:
                    self.tickets.append(r.body["number"])
                    self.acting.append((r.body["number"], 0))
        elif kind == "queue":
            r = call(base, "GET", "/api/v1/tickets?status=active&limit=50", token=t)
        elif kind == "read":
            r = call(base, "GET", f"/api/v1/tickets/{random.choice(known)}", token=t)
        elif kind == "reply":
            r = call(base, "POST", f"/api/v1/tickets/{random.choice(known)}/messages",
                     {"body": f"Sedang kami periksa ({uuid.uuid4().hex[:6]})."}, t)
        else:
            with self.lock:
                item = self.acting.popleft() if self.acting else None
            if item is None:
                r = call(base, "GET", "/api/v1/tickets?status=active&limit=50", token=t)
            else:
                number, step = item
                action, body = ACTIONS[step]
                r = call(base, "POST", f"/api/v1/tickets/{number}/{action}", body, t)
                if step + 1 < len(ACTIONS):
                    with self.lock:
                        self.acting.append((number, step + 1))
        return r.status, r.elapsed

    def work(self) -> None:
        while True:
            kind = self.jobs.get()
            if kind is None:
                return
            status, seconds = self.one(kind)
            with self.lock:
                self.results.append((time.monotonic(), kind, status, seconds))

    def run(self, seconds: float, sample_every: float, on_sample) -> None:
        for w in self.workers:
            w.start()
        started = time.monotonic()
        next_sample = started + sample_every
        due = started
        n = 0
        while True:
            now = time.monotonic()
            if now - started >= seconds:
                break
            if now >= next_sample:
                on_sample(now - started)
                next_sample += sample_every
            if now >= due:
                if self.jobs.qsize() > len(self.workers):
                    self.late += 1  # every worker busy and a backlog: the desk is not keeping up
                self.jobs.put(self.pick())
                n += 1
                due = started + n / self.rate
            else:
                time.sleep(min(due - now, 0.01))
        on_sample(time.monotonic() - started)
        for _ in self.workers:
            self.jobs.put(None)
        for w in self.workers:
            w.join(20)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--minutes", type=float, default=10)
    p.add_argument("--rate", type=float, default=50, help="requests per second")
    p.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--sample", type=float, default=30, help="seconds between samples")
    p.add_argument("--workers", type=int, default=16)
    p.add_argument("--json", help="also write the samples to this file")
    a = p.parse_args()

    binary = meja_binary("release")
    cleanup = Cleanup()
    try:
        db = Database(a.backend, cleanup)
        meja = Meja(binary, db.url, cleanup, db.dir, name="soak").start()
        city = build_city(meja.base, mailbox=False)
        soak = Soak(meja, city.tokens["t1.dinkes"], a.rate, a.workers)
        samples = []
        cursor = [0]
        print(f"soak: {a.minutes:g} min at {a.rate:g} req/s on {a.backend}, meja {binary} (pid {meja.proc.pid})")
        print(f"{'t (s)':>6} {'requests':>8} {'errors':>6} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'RSS MiB':>8} "
              f"{'tickets':>8} {'load':>5}")

        def sample(t: float) -> None:
            with soak.lock:
                window = soak.results[cursor[0]:]
                cursor[0] = len(soak.results)
                tickets = len(soak.tickets)
            lat = [r[3] * 1000 for r in window]
            errors = sum(1 for r in window if not 200 <= r[2] < 300)
            rss = meja.rss_kib() / 1024
            row = {"t": round(t), "requests": len(window), "errors": errors, "p50_ms": round(percentile(lat, 50), 2),
                   "p99_ms": round(percentile(lat, 99), 2), "max_ms": round(max(lat, default=0), 1),
                   "rss_mib": round(rss, 1), "tickets": tickets, "load": round(os.getloadavg()[0], 2)}
            samples.append(row)
            print(f"{row['t']:>6} {row['requests']:>8} {row['errors']:>6} {row['p50_ms']:>7.2f} {row['p99_ms']:>7.2f} "
                  f"{row['max_ms']:>7.1f} {row['rss_mib']:>8.1f} {row['tickets']:>8} {row['load']:>5.2f}", flush=True)

        sample(0)
        soak.run(a.minutes * 60, a.sample, sample)
        results = soak.results
        kinds = collections.Counter(r[1] for r in results)
        statuses = collections.Counter(r[2] for r in results)
        rss = [s["rss_mib"] for s in samples]
        minutes = collections.defaultdict(list)
        for r in results:
            minutes[int((r[0] - results[0][0]) // 60)].append(r[3] * 1000)
        print(f"\n{len(results)} requests ({dict(kinds)}), statuses {dict(sorted(statuses.items()))}, "
              f"{soak.late} dispatched late")
        print(f"RSS: start {rss[0]:.1f} MiB (after the first requests {rss[1]:.1f}), end {rss[-1]:.1f}, max {max(rss):.1f}")
        print("p99 per minute (ms): " + ", ".join(f"{percentile(v, 99):.1f}" for _, v in sorted(minutes.items())))
        print("p50 per minute (ms): " + ", ".join(f"{percentile(v, 50):.1f}" for _, v in sorted(minutes.items())))
        if a.json:
            with open(a.json, "w") as f:
                json.dump({"samples": samples, "statuses": statuses, "late": soak.late,
                           "p99_per_minute": [percentile(v, 99) for _, v in sorted(minutes.items())],
                           "p50_per_minute": [percentile(v, 50) for _, v in sorted(minutes.items())]}, f, indent=1)
        return 0 if all(200 <= s < 300 for s in statuses) else 1
    finally:
        cleanup.run()


if __name__ == "__main__":
    sys.exit(main())
