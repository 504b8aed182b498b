#!/usr/bin/env python3
"""Resilience tests of meja, on loopback and bounded in time (run by scripts/test after the
browser tests):

  python3 tests/resilience/run.py [scenario ...]

  kill9-sqlite, kill9-postgres  `kill -9` of `meja serve` under a load of ticket creations,
                                replies and e-mail intake; after a restart every acknowledged
                                item is there exactly once, the outbox resumes, the audit chain
                                verifies
  two-nodes                     two `meja serve` on one PostgreSQL database behind a round-robin
                                client, jobs on in both: every SLA alert, notice and archived
                                report exactly once
  pg-restart                    a private PostgreSQL instance restarted under load: 503s (no 500,
                                nothing hanging) during the outage, /healthz follows, the desk
                                recovers without a restart
  schemathesis                  schemathesis (PyPI, in a venv under the target directory) against
                                /api/v1/openapi.json with every role's token: no 5xx, no response
                                that breaks the document

Each scenario has a time limit of 90 s and cleans up its processes,
directories and databases however it ends. Environment: MEJA_BIN (default
$CARGO_TARGET_DIR/debug/meja, built if missing), MEJA_TEST_DATABASE_URL (the shared PostgreSQL,
default postgres://postgres:postgres@127.0.0.1:5432/postgres), MEJA_TEST_SMTP_URL (the test
Postfix; with it the outbox is delivered in kill9). The 10-minute soak is tests/resilience/soak.py,
a benchmark run by hand.
"""

from __future__ import annotations

import os
import signal
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import Cleanup, Failure, TimeLimit, meja_binary, time_limit  # noqa: E402


def scenarios():
    import kill9
    import pg_restart
    import schema_fuzz
    import two_nodes

    return [
        ("kill9-sqlite", 90, lambda b, c: kill9.run(b, "sqlite", c)),
        ("kill9-postgres", 90, lambda b, c: kill9.run(b, "postgres", c)),
        ("two-nodes", 90, lambda b, c: two_nodes.run(b, c)),
        ("pg-restart", 90, lambda b, c: pg_restart.run(b, c)),
        ("schemathesis", 300, lambda b, c: schema_fuzz.run(b, c)),
    ]


def main(argv: list[str]) -> int:
    chosen = set(argv)
    known = scenarios()
    unknown = chosen - {name for name, _, _ in known}
    if unknown:
        print(f"unknown scenario(s): {', '.join(sorted(unknown))}; known: {', '.join(n for n, _, _ in known)}")
        return 2
    binary = meja_binary()
    if not chosen or "schemathesis" in chosen:
        import schema_fuzz

        try:
            schema_fuzz.venv()  # installed once, outside the scenario's time limit
        except Exception as e:
            print(f"   ! cannot install schemathesis: {e}", flush=True)

    def interrupted(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)
    results = []
    suite_started = time.monotonic()
    for name, limit, scenario in known:
        if chosen and name not in chosen:
            continue
        print(f"--- {name} (limit {limit} s)", flush=True)
        cleanup = Cleanup()
        started = time.monotonic()
        cancel = time_limit(limit)
        try:
            summary = scenario(binary, cleanup)
            ok, line = True, summary
        except (Failure, TimeLimit) as e:
            ok, line = False, str(e)
        except KeyboardInterrupt:
            cancel()
            cleanup.run()
            print(f"FAIL {name}: interrupted")
            return 130
        except Exception as e:
            ok, line = False, f"{type(e).__name__}: {e}\n{traceback.format_exc()}"
        finally:
            cancel()
            cleanup.run()
        took = time.monotonic() - started
        print(f"{'PASS' if ok else 'FAIL'} {name} ({took:.1f} s): {line}", flush=True)
        results.append((name, ok, took))
    total = time.monotonic() - suite_started
    failed = [n for n, ok, _ in results if not ok]
    print(f"resilience: {len(results) - len(failed)}/{len(results)} scenarios passed in {total:.0f} s"
          + (f"; failed: {', '.join(failed)}" if failed else ""), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    _ = harness
    sys.exit(main(sys.argv[1:]))
