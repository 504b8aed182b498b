#!/usr/bin/env python3
"""Write-load benchmark for docs/benchmarks.md (issue: the desk core).

For each database it measures, in one run:
  1. the raw write limit: one ticket-sized row plus one event row per transaction, fed directly
     (the sqlite3 shell for SQLite; pgbench with 32 clients for PostgreSQL);
  2. meja: 32 concurrent wrk clients opening tickets through POST /api/v1/tickets, each with its
     audit event; requests/s, failed requests, p50/p99 latency, and the peak resident memory.

Usage: python3 benches/load.py [--seconds 20] [--only sqlite|pg] [--rounds N]
Needs: a release build (cargo build --release), wrk, sqlite3, pgbench, a PostgreSQL on 127.0.0.1.
Traffic goes to 127.0.0.1 only and stops after --seconds.
"""
import argparse, json, os, re, shutil, subprocess, tempfile, threading, time, urllib.request, uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
EXE = os.path.join(TARGET, "release", "meja")
PG_BASE = os.environ.get("MEJA_BENCH_PG", "postgres://postgres:postgres@127.0.0.1:5432")
PASSWORD = "Rahasia-Kuat-2026!"

TICKET_COLUMNS = """id TEXT PRIMARY KEY, number TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, title TEXT NOT NULL,
 description TEXT NOT NULL, unit_id TEXT NOT NULL, status TEXT NOT NULL, priority TEXT NOT NULL, channel TEXT NOT NULL,
 requester_id TEXT NOT NULL, created_at TIMESTAMP NOT NULL, first_response_due TIMESTAMP NOT NULL,
 resolution_due TIMESTAMP NOT NULL"""
EVENT_COLUMNS = """seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, ticket_id TEXT, kind TEXT NOT NULL, data TEXT NOT NULL,
 created_at TIMESTAMP NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL"""
DESCRIPTION = "Sejak pagi muncul error 500 di halaman login puskesmas; sudah dicoba di dua komputer."
HASH = "ab" * 32


def raw_sqlite(synchronous, n=20000):
    d = tempfile.mkdtemp(prefix="meja-raw-")
    path = os.path.join(d, "raw.db")
    lines = [f"PRAGMA journal_mode=WAL;", f"PRAGMA synchronous={synchronous};",
             f"CREATE TABLE tickets ({TICKET_COLUMNS});", "CREATE INDEX t_unit ON tickets(unit_id, status, id);",
             f"CREATE TABLE events ({EVENT_COLUMNS});", "CREATE INDEX e_ticket ON events(ticket_id, seq);"]
    setup = "\n".join(lines)
    body = []
    for i in range(n):
        tid = str(uuid.uuid4())
        body.append(f"BEGIN; INSERT INTO tickets VALUES ('{tid}','SD-2026-{i:06d}','incident','SIMPUS tidak bisa login','{DESCRIPTION}',"
                    f"'unit-dinkes','new','P2','api','req-{i}','2026-11-24 08:00:00','2026-11-24 09:00:00','2026-11-26 08:00:00');"
                    f" INSERT INTO events (id, ticket_id, kind, data, created_at, prev_hash, hash) VALUES ('{uuid.uuid4()}','{tid}',"
                    f"'ticket.created','{{\"number\":\"SD-2026-{i:06d}\",\"priority\":\"P2\"}}','2026-11-24 08:00:00','{HASH}','{HASH}'); COMMIT;")
    script = os.path.join(d, "load.sql")
    with open(script, "w") as f:
        f.write("\n".join(body))
    subprocess.run(["sqlite3", path], input=setup.encode(), check=True, capture_output=True)
    started = time.time()
    subprocess.run(["sqlite3", path, f".read {script}"], check=True, capture_output=True)
    rate = n / (time.time() - started)
    shutil.rmtree(d, ignore_errors=True)
    return rate


def psql(db, sql):
    subprocess.run(["psql", f"{PG_BASE}/{db}", "-qc", sql], check=True, capture_output=True)


def fresh_pg_db(prefix):
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    psql("postgres", f"CREATE DATABASE {name}")
    return name


def raw_pg(seconds):
    db = fresh_pg_db("meja_raw")
    pg_cols = TICKET_COLUMNS
    ev_cols = EVENT_COLUMNS.replace("seq INTEGER PRIMARY KEY", "seq BIGSERIAL PRIMARY KEY")
    psql(db, f"CREATE TABLE tickets ({pg_cols}); CREATE INDEX t_unit ON tickets(unit_id, status, id); "
             f"CREATE TABLE events ({ev_cols}); CREATE INDEX e_ticket ON events(ticket_id, seq);")
    d = tempfile.mkdtemp(prefix="meja-pgbench-")
    script = os.path.join(d, "tx.sql")
    with open(script, "w") as f:
        f.write("BEGIN;\n"
                "INSERT INTO tickets VALUES (gen_random_uuid()::text, gen_random_uuid()::text, 'incident', 'SIMPUS tidak bisa login', "
                f"'{DESCRIPTION}', 'unit-dinkes', 'new', 'P2', 'api', 'req', now(), now(), now());\n"
                "INSERT INTO events (id, ticket_id, kind, data, created_at, prev_hash, hash) VALUES (gen_random_uuid()::text, "
                f"gen_random_uuid()::text, 'ticket.created', '{{\"priority\":\"P2\"}}', now(), '{HASH}', '{HASH}');\n"
                "END;\n")
    out = subprocess.run(["pgbench", "-n", "-c", "32", "-j", "2", "-T", str(seconds), "-f", script, f"{PG_BASE}/{db}"],
                         check=True, capture_output=True, text=True).stdout
    shutil.rmtree(d, ignore_errors=True)
    psql("postgres", f"DROP DATABASE {db} WITH (FORCE)")
    m = re.search(r"tps = ([\d.]+)", out)
    return float(m.group(1)) if m else 0.0


def call(base, method, path, body=None, token=None):
    req = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"null")


def peak_rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def meja_load(url, seconds):
    d = tempfile.mkdtemp(prefix="meja-load-")
    port = 18000 + os.getpid() % 1000
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, MEJA_DATABASE_URL=url, MEJA_BIND=f"127.0.0.1:{port}", MEJA_ADMIN_PASSWORD="Admin-Bench-2026!",
               MEJA_2FA_REQUIRED_ROLES="none", RUST_LOG="warn")
    proc = subprocess.Popen([EXE, "serve"], cwd=d, env=env, stdout=subprocess.DEVNULL, stderr=open(os.path.join(d, "log"), "w"))
    try:
        for _ in range(100):
            try:
                call(base, "GET", "/healthz")
                break
            except Exception:
                time.sleep(0.2)
        admin = call(base, "POST", "/api/v1/auth/token", {"username": "admin", "password": "Admin-Bench-2026!"})["token"]
        call(base, "POST", "/api/v1/units", {"code": "DISKOMINFO", "name": "Diskominfo", "tier2": True}, admin)
        call(base, "POST", "/api/v1/units", {"code": "DINKES", "name": "Dinas Kesehatan"}, admin)
        call(base, "POST", "/api/v1/services", {"code": "SIMPUS", "name": "SIMPUS", "unit": "DINKES"}, admin)
        call(base, "POST", "/api/v1/users", {"username": "t1", "name": "T1", "password": PASSWORD, "role": "agent_t1", "unit": "DINKES"}, admin)
        token = call(base, "POST", "/api/v1/auth/token", {"username": "t1", "password": PASSWORD})["token"]
        out = subprocess.run(["wrk", "-t2", "-c32", f"-d{seconds}s", "--latency", "-s", os.path.join(ROOT, "benches", "create_ticket.lua"),
                              f"{base}/api/v1/tickets"], env=dict(os.environ, MEJA_BENCH_TOKEN=token), capture_output=True, text=True).stdout
        rss = peak_rss_mb(proc.pid)
        line = next((l for l in out.splitlines() if l.startswith("RESULT")), "")
        result = dict(kv.split("=") for kv in line.split()[1:])
        result["peak_rss_mb"] = f"{rss:.1f}"
        with urllib.request.urlopen(base + "/metrics", timeout=30) as r:
            metrics = dict(l.rsplit(" ", 1) for l in r.read().decode().splitlines() if l and not l.startswith("#"))
        result["checks_per_read"] = f"{float(metrics['meja_token_checks_total']) / max(1.0, float(metrics['meja_token_check_reads_total'])):.1f}"
        return result
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(d, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--only", choices=["sqlite", "pg"])
    ap.add_argument("--rounds", type=int, default=1, help="PostgreSQL: pgbench and meja in turn, this many times")
    args = ap.parse_args()
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")
    if args.only in (None, "sqlite"):
        full = raw_sqlite("FULL")
        normal = raw_sqlite("NORMAL")
        d = tempfile.mkdtemp(prefix="meja-db-")
        r = meja_load(f"sqlite://{d}/meja.db", args.seconds)
        shutil.rmtree(d, ignore_errors=True)
        print(f"sqlite: raw limit {full:.0f} tx/s (synchronous=FULL, as meja runs), {normal:.0f} tx/s (NORMAL)")
        print(f"sqlite: meja {r['rate']} tickets/s = {float(r['rate']) / full * 100:.0f}% of the FULL raw limit; "
              f"errors {r['errors']} (non-2xx {r['non2xx']}); p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms, max {r['max_ms']} ms; peak RSS {r['peak_rss_mb']} MB; "
              f"{r['checks_per_read']} token checks per read")
    if args.only in (None, "pg"):
        # pgbench and meja take turns: on a small shared machine either's rate moves by a
        # third between runs, so one pair can say anything; the median of the rounds says more.
        shares = []
        for n in range(args.rounds):
            raw = raw_pg(args.seconds)
            db = fresh_pg_db("meja_load")
            r = meja_load(f"{PG_BASE}/{db}", args.seconds)
            psql("postgres", f"DROP DATABASE {db} WITH (FORCE)")
            shares.append(float(r['rate']) / raw * 100)
            print(f"postgres round {n + 1}: raw limit {raw:.0f} tx/s (pgbench, 32 clients)")
            print(f"postgres round {n + 1}: meja {r['rate']} tickets/s = {shares[-1]:.0f}% of the raw limit; "
                  f"errors {r['errors']} (non-2xx {r['non2xx']}); p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms, max {r['max_ms']} ms; peak RSS {r['peak_rss_mb']} MB; "
                  f"{r['checks_per_read']} token checks per read")
        shares.sort()
        # With an even number of rounds, the upper of the two middle shares.
        print(f"postgres: median share {shares[len(shares) // 2]:.0f}% of pgbench over {args.rounds} round(s) "
              f"(lowest {shares[0]:.0f}%, highest {shares[-1]:.0f}%)")


if __name__ == "__main__":
    main()
