"""Scenario 4: schemathesis (from PyPI, in a venv of its own) against /api/v1/openapi.json of a
`meja serve --demo`, once with the token of each role: no 5xx answer, no status code or body the
document does not describe."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

from harness import ADMIN_PASSWORD, DEMO_PASSWORD, Database, Failure, Meja, call, target_dir, token

SCHEMATHESIS = os.environ.get("MEJA_SCHEMATHESIS_VERSION", "4.32.5")
ROLES = [("admin", "admin"), ("supervisor", "sup.kominfo"), ("agent_t1", "t1.dinkes"), ("agent_t2", "t2.andi"),
         ("unit_head", "kepala.dinkes")]
MAX_EXAMPLES = 6  # per operation and phase: 100 operations by five roles within the budget
BUDGET = 290  # seconds for all roles together (the scenario's limit is 300 s: 100 operations by five roles took 95–147 s on a slow day), shared out as they go
CHECKS = "not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance"
# What is left out, and why:
EXCLUDED = [
    # Revokes the token of the request itself: every later request of the run would be a 401.
    "DELETE /api/v1/auth/token",
    # Following the API's links from GET /users, these reach the run's own accounts: a temporary
    # password or a switch-off ends every token of that person, and each later role's run would
    # be nothing but 401s. tests/api/accounts.rs covers them.
    "POST /api/v1/users/{username}/password",
    "PATCH /api/v1/users/{username}",
    "DELETE /api/v1/auth/sessions",
]


def venv() -> str:
    """schemathesis in a virtual environment under the target directory, created once."""
    home = os.path.join(target_dir(), "resilience-venv")
    exe = os.path.join(home, "bin", "schemathesis")
    stamp = os.path.join(home, ".schemathesis-version")
    if os.path.exists(exe) and os.path.exists(stamp):
        with open(stamp) as f:
            if f.read().strip() == SCHEMATHESIS:
                return exe
    print(f"   · installing schemathesis {SCHEMATHESIS} into {home}", flush=True)
    subprocess.run([sys.executable, "-m", "venv", home], check=True, timeout=120)
    r = subprocess.run([os.path.join(home, "bin", "pip"), "install", "-q", "--disable-pip-version-check",
                        f"schemathesis=={SCHEMATHESIS}"], capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        raise Failure(f"pip install schemathesis=={SCHEMATHESIS} failed: {r.stderr.strip()[-400:]}")
    with open(stamp, "w") as f:
        f.write(SCHEMATHESIS)
    return exe


def server_errors(base: str) -> int:
    """5xx answers meja itself counted (its /metrics), whatever schemathesis made of them."""
    r = call(base, "GET", "/metrics")
    return sum(int(float(m.group(1))) for m in re.finditer(r'^meja_http_requests_total\{[^}]*status="5\d\d"\} (\S+)$',
                                                          str(r.body), re.M))


def run(binary: str, cleanup) -> str:
    begun = time.monotonic()
    exe = venv()
    db = Database("sqlite", cleanup)
    meja = Meja(binary, db.url, cleanup, db.dir, name="serve-demo", args=("serve", "--demo"),
                env={"RUST_LOG": "warn"}).start(wait=120)
    tokens = {role: token(meja.base, user, ADMIN_PASSWORD if user == "admin" else DEMO_PASSWORD) for role, user in ROLES}
    env = dict(os.environ, SCHEMATHESIS_HOOKS="st_hooks",
               PYTHONPATH=os.path.dirname(os.path.abspath(__file__)) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    failures, summaries = [], []
    for role, _ in ROLES:
        args = [exe, "run", f"{meja.base}/api/v1/openapi.json", "--url", meja.base,
                "-H", f"Authorization: Bearer {tokens[role]}", "--checks", CHECKS, "--max-examples", str(MAX_EXAMPLES),
                "--seed", "2026", "--generation-database", "none", "--no-color", "--request-timeout", "15",
                "--workers", "2", "--output-truncate", "true"]
        for name in EXCLUDED:
            args += ["--exclude-name", name]
        started = time.monotonic()
        left = len(ROLES) - len(summaries)
        limit = max(5.0, (BUDGET - (started - begun)) / left)
        try:
            r = subprocess.run(args, cwd=db.dir, env=env, capture_output=True, text=True, timeout=limit)
        except subprocess.TimeoutExpired as e:
            out = (e.stdout or b"").decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
            raise Failure(f"schemathesis as {role} ran past its {limit:.0f} s:\n{out[-1500:]}")
        out = r.stdout + r.stderr
        with open(os.path.join(db.dir, f"schemathesis-{role}.txt"), "w") as f:
            f.write(out)
        cases = re.search(r"(\d+) generated", out)
        verdict = re.findall(r"^=+ (.+?) in [\d.]+s =+$", out, re.M)
        summaries.append(f"{role} {cases.group(1) if cases else '?'} cases {time.monotonic() - started:.0f} s")
        if r.returncode != 0:
            found = re.findall(r"^_+ (\S+ \S+) _+$", out, re.M)
            codes = sorted(set(re.findall(r"^- (ST\d+ [^\n]+|Server error|[A-Z][^\n]*conformance[^\n]*)$", out, re.M)))
            failures.append(f"as {role}: {verdict[-1] if verdict else 'exit ' + str(r.returncode)} — "
                            f"{', '.join(found[:12])}; {', '.join(codes)}")
            print(out[-6000:] if os.environ.get("MEJA_RESILIENCE_VERBOSE") else "", end="")
    fives = server_errors(meja.base)
    if failures or fives:
        raise Failure(f"{fives} 5xx counted by meja; " + " | ".join(failures))
    return (f"{', '.join(summaries)}: no 5xx (meja's /metrics agree: 0), no undocumented status code, body or "
            f"content type; checks {CHECKS}; excluded: {', '.join(EXCLUDED)} (each would end the run's own tokens)")
