"""What the resilience scenarios share: `meja` processes on scratch databases, an HTTP client
with hard time limits, SQL on both backends, a private PostgreSQL instance, and a cleanup stack
that runs however a scenario ends (failure, time limit, Ctrl-C).

Standard library only. Everything listens on and talks to 127.0.0.1.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ADMIN_PASSWORD = "Resiliensi-Admin-2026!"
STAFF_PASSWORD = "Resiliensi-Staf-2026!"
DEMO_PASSWORD = "Meja-Demo-2026"
# A request that takes longer than this is a failure of the scenario, not a slow success.
REQUEST_TIMEOUT = 15.0


class Failure(Exception):
    """A check of a scenario did not hold."""


class TimeLimit(Exception):
    """The scenario ran past its time limit."""


def target_dir() -> str:
    return os.path.abspath(os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target"))


def meja_binary(profile: str = "debug") -> str:
    """`MEJA_BIN`, or the binary cargo built into the target directory (built here if missing)."""
    if os.environ.get("MEJA_BIN") and profile == "debug":
        path = os.path.abspath(os.environ["MEJA_BIN"])
    else:
        path = os.path.join(target_dir(), profile, "meja")
        if not os.path.exists(path) or os.environ.get("MEJA_RESILIENCE_BUILD") == "1":
            args = ["cargo", "build", "--bin", "meja"] + (["--release"] if profile == "release" else [])
            print(f"==> {' '.join(args)}", flush=True)
            subprocess.run(args, cwd=ROOT, check=True)
    if not os.path.exists(path):
        raise Failure(f"no meja binary at {path}")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------------------
# Cleanup


class Cleanup:
    """A stack of undo steps; `run()` calls them newest first and never raises."""

    def __init__(self) -> None:
        self._steps: list[tuple[str, callable]] = []
        self._lock = threading.Lock()

    def push(self, what: str, step) -> None:
        # MEJA_RESILIENCE_KEEP=1 keeps directories and databases to look at after a failure.
        if os.environ.get("MEJA_RESILIENCE_KEEP") == "1" and what.startswith(("directory", "database")):
            print(f"   · keeping {what}", flush=True)
            return
        with self._lock:
            self._steps.append((what, step))

    def run(self) -> None:
        while True:
            with self._lock:
                if not self._steps:
                    return
                what, step = self._steps.pop()
            try:
                step()
            except Exception as e:  # cleanup goes on whatever one step does
                print(f"   ! cleanup of {what} failed: {e}", flush=True)


def time_limit(seconds: int):
    """Raises TimeLimit in the main thread after `seconds` (SIGALRM); returns a cancel function."""

    def fire(signum, frame):
        raise TimeLimit(f"over the time limit of {seconds} s")

    signal.signal(signal.SIGALRM, fire)
    signal.alarm(seconds)
    return lambda: signal.alarm(0)


# ---------------------------------------------------------------------------------------------
# HTTP


@dataclass
class Response:
    status: int  # 0: no HTTP answer (connection refused, reset, timeout)
    content_type: str
    body: object
    elapsed: float
    error: str = ""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def call(base: str, method: str, path: str, body=None, token: str | None = None, raw: bytes | None = None,
         headers: dict | None = None, timeout: float = REQUEST_TIMEOUT, content_type: str = "application/json") -> Response:
    """One request on its own connection; never raises for network trouble (status 0)."""
    url = urllib.parse.urlsplit(base)
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    h = {"Connection": "close"}
    if data is not None:
        h["Content-Type"] = content_type
    if token:
        h["Authorization"] = f"Bearer {token}"
    h.update(headers or {})
    started = time.monotonic()
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
    try:
        conn.request(method, path, body=data, headers=h)
        r = conn.getresponse()
        payload = r.read()
        ctype = r.getheader("Content-Type", "")
        return Response(r.status, ctype, _parse(payload, ctype), time.monotonic() - started)
    except Exception as e:  # refused, reset, timed out
        return Response(0, "", None, time.monotonic() - started, f"{type(e).__name__}: {e}")
    finally:
        conn.close()


def _parse(payload: bytes, ctype: str):
    if "json" in ctype:
        try:
            return json.loads(payload)
        except ValueError:
            pass
    return payload.decode("utf-8", "replace")


def token(base: str, username: str, password: str) -> str:
    r = call(base, "POST", "/api/v1/auth/token", {"username": username, "password": password})
    if r.status != 200 or not isinstance(r.body, dict):
        raise Failure(f"login of {username}: {r.status} {str(r.body)[:200]} {r.error}")
    return r.body["token"]


def expect(r: Response, statuses, what: str) -> dict:
    if r.status not in statuses:
        raise Failure(f"{what}: HTTP {r.status} {str(r.body)[:300]} {r.error}")
    return r.body if isinstance(r.body, dict) else {}


# ---------------------------------------------------------------------------------------------
# Databases


def _pg_base_url() -> str:
    return os.environ.get("MEJA_TEST_DATABASE_URL") or "postgres://postgres:postgres@127.0.0.1:5432/postgres"


def _with_db(url: str, name: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))


def psql(url: str, sql: str, timeout: float = 30) -> list[list[str]]:
    """Rows of `sql` (the last statement) as lists of strings; NULL is ''."""
    r = subprocess.run(["psql", url, "-X", "-q", "-A", "-t", "-F", "\x1f", "-R", "\x1e", "-v", "ON_ERROR_STOP=1",
                        "-c", sql], capture_output=True, timeout=timeout, text=True)
    if r.returncode != 0:
        raise Failure(f"psql: {r.stderr.strip()[:300]}")
    out = r.stdout.rstrip("\n")
    return [row.split("\x1f") for row in out.split("\x1e") if row.strip("\n")]


class Database:
    """A scratch database: a SQLite file in a temporary directory, or a PostgreSQL database."""

    def __init__(self, kind: str, cleanup: Cleanup, server_url: str | None = None):
        self.kind = kind
        self.dir = tempfile.mkdtemp(prefix=f"meja-resilience-{kind}-")
        cleanup.push(f"directory {self.dir}", lambda: shutil.rmtree(self.dir, ignore_errors=True))
        if kind == "sqlite":
            self.url = f"sqlite://{self.dir}/meja.db"
            self.path = os.path.join(self.dir, "meja.db")
        else:
            base = server_url or _pg_base_url()
            self.name = "meja_resilience_" + uuid.uuid4().hex[:12]
            psql(base, f"CREATE DATABASE {self.name}")
            cleanup.push(f"database {self.name}", lambda: psql(base, f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)"))
            self.url = _with_db(base, self.name)

    def rows(self, sql: str) -> list[list[str]]:
        """Rows as lists of strings (NULL as ''), the same on both backends."""
        if self.kind == "sqlite":
            con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30)
            try:
                return [["" if v is None else str(v) for v in row] for row in con.execute(sql)]
            finally:
                con.close()
        return psql(self.url, sql)

    def scalar(self, sql: str) -> str:
        rows = self.rows(sql)
        return rows[0][0] if rows else ""


def parse_time(text: str) -> float:
    """A naive UTC timestamp as the database returns it ('2026-11-30 12:10:28.7592') -> epoch."""
    text = text.strip().replace("T", " ").rstrip("Z")
    date, _, clock = text.partition(" ")
    whole, _, frac = clock.partition(".")
    base = time.strptime(f"{date} {whole}", "%Y-%m-%d %H:%M:%S")
    import calendar

    return calendar.timegm(base) + (float("0." + frac) if frac else 0.0)


# ---------------------------------------------------------------------------------------------
# meja


class Meja:
    """One `meja serve` (or any command) on a database, with only the settings given here."""

    def __init__(self, binary: str, db_url: str, cleanup: Cleanup, workdir: str, name: str = "meja",
                 env: dict | None = None, args=("serve",), port: int | None = None):
        self.binary = binary
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.workdir = workdir
        self.name = name
        self.log_path = os.path.join(workdir, f"{name}.log")
        self.args = list(args)
        # Only our settings: no meja.toml, mail server or bot of the caller's shell.
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("MEJA_")}
        self.env.update({
            "MEJA_DATABASE_URL": db_url,
            "MEJA_BIND": f"127.0.0.1:{self.port}",
            "MEJA_PUBLIC_URL": self.base,
            "MEJA_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "MEJA_MAIL_FROM": "Layanan <layanan@kota.test>",
            # The scenarios sign in with passwords only; two-factor sign-in has tests of its own.
            "MEJA_2FA_REQUIRED_ROLES": "none",
            "RUST_LOG": os.environ.get("RUST_LOG", "warn"),
            "NO_COLOR": "1",
        })
        self.env.update(env or {})
        self.proc: subprocess.Popen | None = None
        cleanup.push(f"{name} process", self.stop)

    def start(self, wait: float = 60) -> "Meja":
        log = open(self.log_path, "a")
        log.write(f"\n===== start {time.strftime('%H:%M:%S')} {' '.join(self.args)}\n")
        log.flush()
        self.proc = subprocess.Popen([self.binary, *self.args], cwd=self.workdir, env=self.env,
                                     stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        self.wait_healthy(wait)
        return self

    def wait_healthy(self, wait: float) -> None:
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.proc and self.proc.poll() is not None:
                raise Failure(f"{self.name} exited ({self.proc.returncode}):\n{self.tail()}")
            r = call(self.base, "GET", "/healthz", timeout=2)
            if r.status == 200:
                return
            time.sleep(0.2)
        raise Failure(f"{self.name} not healthy within {wait:.0f} s:\n{self.tail()}")

    def kill9(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        """SIGTERM (a graceful stop), SIGKILL after 20 s."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def rss_kib(self) -> int:
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except (OSError, AttributeError):
            pass
        return 0

    def cli(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run([self.binary, *args], cwd=self.workdir, env=self.env, capture_output=True, text=True,
                              timeout=timeout)

    def tail(self, lines: int = 25) -> str:
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return "(no log)"

    def log_count(self, needle: str) -> int:
        try:
            with open(self.log_path, errors="replace") as f:
                return sum(1 for line in f if needle in line)
        except OSError:
            return 0


def audit_verify(meja: Meja) -> str:
    r = meja.cli("audit", "verify", timeout=60)
    out = (r.stdout + r.stderr).strip()
    if r.returncode != 0:
        raise Failure(f"meja audit verify failed: {out[-400:]}")
    return out.splitlines()[-1] if out else ""


# ---------------------------------------------------------------------------------------------
# A small city, built through the API


@dataclass
class City:
    admin: str
    tokens: dict = field(default_factory=dict)


STAFF = [
    ("t1.dinkes", "agent_t1", "DINKES"),
    ("t2.kominfo", "agent_t2", "DISKOMINFO"),
    ("sup.kominfo", "supervisor", "DISKOMINFO"),
    ("kepala.dinkes", "unit_head", "DINKES"),
]


def build_city(base: str, mailbox: bool = True) -> City:
    """Diskominfo (tier 2) and Dinkes with a service, one person per role (addresses at
    kota.test, which the test Postfix delivers locally) and Dinkes's desk mailbox."""
    admin = token(base, "admin", ADMIN_PASSWORD)
    for code, name, tier2 in [("DISKOMINFO", "Dinas Komunikasi dan Informatika", True), ("DINKES", "Dinas Kesehatan", False)]:
        expect(call(base, "POST", "/api/v1/units", {"code": code, "name": name, "tier2": tier2}, admin), (201,), f"unit {code}")
    expect(call(base, "POST", "/api/v1/services", {"code": "SIMPUS", "name": "Sistem Informasi Puskesmas", "unit": "DINKES"}, admin),
           (201,), "service SIMPUS")
    city = City(admin)
    for username, role, unit in STAFF:
        expect(call(base, "POST", "/api/v1/users", {"username": username, "name": username.replace(".", " ").title(),
                                                    "email": f"{username}@kota.test", "password": STAFF_PASSWORD,
                                                    "role": role, "unit": unit}, admin), (201,), f"user {username}")
        city.tokens[username] = token(base, username, STAFF_PASSWORD)
    if mailbox:
        expect(call(base, "POST", "/api/v1/mailboxes", {"name": "dinkes", "unit": "DINKES", "address": "layanan.dinkes@kota.test"}, admin),
               (201,), "mailbox dinkes")
    return city


def new_ticket_body(title: str, email: str, impact: str = "low", urgency: str = "low") -> dict:
    return {"kind": "incident", "title": title, "description": "Uji ketahanan: beban campuran.", "unit": "DINKES",
            "service": "SIMPUS", "impact": impact, "urgency": urgency, "requester": {"name": "Warga Uji", "email": email}}


def raw_mail(message_id: str, sender: str, subject: str) -> bytes:
    return (f"From: Warga <{sender}>\r\n"
            f"To: layanan.dinkes@kota.test\r\n"
            f"Subject: {subject}\r\n"
            f"Message-ID: <{message_id}>\r\n"
            f"Date: {time.strftime('%a, %d %b %Y %H:%M:%S +0000', time.gmtime())}\r\n"
            f"MIME-Version: 1.0\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\n\r\n"
            f"Selamat pagi, aplikasi SIMPUS tidak bisa dibuka sejak tadi.\r\n").encode()


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, int(round(p / 100 * (len(ordered) - 1)))))
    return ordered[k]


# ---------------------------------------------------------------------------------------------
# A private PostgreSQL instance (never the shared one on 5432)


def _pg_bin(tool: str) -> str:
    import glob

    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{tool}"),
                        key=lambda p: [int(x) if x.isdigit() else x for x in p.split("/")[4].split(".")])
    if candidates:
        return candidates[-1]
    found = shutil.which(tool)
    if not found:
        raise Failure(f"PostgreSQL server binaries ({tool}) not found under /usr/lib/postgresql/*/bin")
    return found


class PrivatePostgres:
    """initdb into a temporary directory as the `postgres` OS user, trust authentication on
    loopback, its own port; stopped and removed by the cleanup."""

    def __init__(self, cleanup: Cleanup):
        self.dir = tempfile.mkdtemp(prefix="meja-resilience-pg-")
        os.chmod(self.dir, 0o755)
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "postgres.log")
        self.port = free_port()
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        cleanup.push(f"private PostgreSQL directory {self.dir}", lambda: shutil.rmtree(self.dir, ignore_errors=True))
        if self.as_postgres:
            subprocess.run(["chown", "postgres:", self.dir], check=True)
        self._run([_pg_bin("initdb"), "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                   "--no-instructions"], timeout=60)
        with open(os.path.join(self.data, "postgresql.auto.conf"), "a") as f:
            f.write(f"listen_addresses = '127.0.0.1'\nport = {self.port}\nunix_socket_directories = '{self.dir}'\n"
                    "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 60\n")
        cleanup.push(f"private PostgreSQL on port {self.port}", self.stop)
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, args: list[str], timeout: float = 60) -> None:
        r = subprocess.run(self.as_postgres + args, capture_output=True, text=True, timeout=timeout, cwd=self.dir)
        if r.returncode != 0:
            raise Failure(f"{os.path.basename(args[0])} failed: {(r.stdout + r.stderr).strip()[-400:]}")

    def start(self) -> None:
        self._run([_pg_bin("pg_ctl"), "-D", self.data, "-l", self.log, "-w", "-t", "30", "start"])

    def stop(self, mode: str = "fast") -> None:
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            self._run([_pg_bin("pg_ctl"), "-D", self.data, "-m", mode, "-w", "-t", "30", "stop"])
