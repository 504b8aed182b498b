#!/usr/bin/env python3
"""Live console benchmark for docs/benchmarks.md (issue 15).

Starts `meja serve --demo` on SQLite, signs in as a tier-1 agent, opens N event streams
(GET /konsol/langsung, as N open console pages would), and measures:
  1. the server's resident memory before and after the streams are open (the extra per stream);
  2. for each of --changes tickets opened through the API by another user, the time until every
     open stream has been told (p50 and worst over the streams).

Usage: python3 benches/live.py [--streams 500] [--changes 5]
Needs: a build of meja (release if present, else debug). Traffic goes to 127.0.0.1 only, the
streams are closed and the server stopped at the end.
"""
import argparse, asyncio, http.client, json, os, re, shutil, socket, statistics, subprocess, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
PASSWORD = "Meja-Demo-2026"


def binary():
    for profile in ("release", "debug"):
        path = os.path.join(TARGET, profile, "meja")
        if os.path.exists(path):
            return path, profile
    raise SystemExit("build meja first (cargo build --release)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def request(port, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response, data


def sign_in(port, username):
    response, html = request(port, "GET", "/masuk")
    csrf_cookie = next(c.split(";")[0] for c in response.headers.get_all("Set-Cookie") if c.startswith("meja_csrf="))
    token = re.search(rb'name="csrf" value="([^"]+)"', html).group(1).decode()
    form = f"username={username}&password={PASSWORD}&next=/konsol&csrf={token}"
    response, _ = request(port, "POST", "/masuk", form,
                          {"Content-Type": "application/x-www-form-urlencoded", "Cookie": csrf_cookie})
    session = next(c.split(";")[0] for c in response.headers.get_all("Set-Cookie") if c.startswith("meja_sesi="))
    return session


def api_token(port, username):
    _, data = request(port, "POST", "/api/v1/auth/token", json.dumps({"username": username, "password": PASSWORD}),
                      {"Content-Type": "application/json"})
    return json.loads(data)["token"]


async def open_stream(port, cookie):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET /konsol/langsung HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n"
                 f"Accept: text/event-stream\r\n\r\n".encode())
    await writer.drain()
    status = await reader.readline()
    if b" 200 " not in status:
        raise SystemExit(f"stream refused: {status!r}")
    while (await reader.readline()) not in (b"\r\n", b""):
        pass
    return reader, writer


async def wait_for(reader, number, started):
    """Reads the stream until an event names `number`; the seconds it took."""
    while True:
        line = await reader.readline()
        if not line:
            raise SystemExit("a stream closed early")
        if number.encode() in line:
            return time.monotonic() - started


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--streams", type=int, default=500)
    parser.add_argument("--changes", type=int, default=5)
    args = parser.parse_args()
    exe, profile = binary()
    workdir = tempfile.mkdtemp(prefix="meja-live-")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEJA_")}
    env.update(MEJA_DATABASE_URL=f"sqlite://{workdir}/meja.db", MEJA_BIND=f"127.0.0.1:{port}",
               MEJA_2FA_REQUIRED_ROLES="none", RUST_LOG="warn")
    server = subprocess.Popen([exe, "serve", "--demo"], cwd=workdir, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(240):
            try:
                if request(port, "GET", "/healthz")[0].status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        cookie = sign_in(port, "t1.dinkes")
        token = api_token(port, "sup.kominfo")
        # A little use first, as a desk that has been running: the queue and a ticket page.
        for path in ("/konsol", "/konsol?tampilan=semua"):
            request(port, "GET", path, headers={"Cookie": cookie})
        time.sleep(2)
        before = rss_mb(server.pid)
        streams = []
        for _ in range(args.streams):
            streams.append(await open_stream(port, cookie))
        await asyncio.sleep(3)
        after = rss_mb(server.pid)
        print(f"build: {profile}; streams: {args.streams}")
        print(f"resident memory: {before:.1f} MB before, {after:.1f} MB with the streams open: "
              f"+{after - before:.1f} MB ({(after - before) * 1024 / args.streams:.1f} KB a stream)")
        worst_all, medians = [], []
        for i in range(args.changes):
            body = json.dumps({"kind": "incident", "title": f"Uji langsung {i}", "description": "Bench.",
                               "unit": "DINKES", "impact": "low", "urgency": "low", "requester": {"name": "Bench"}})
            started = time.monotonic()
            _, data = request(port, "POST", "/api/v1/tickets", body,
                              {"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
            number = json.loads(data)["number"]
            delays = await asyncio.gather(*(wait_for(r, number, started) for r, _ in streams))
            worst_all.append(max(delays))
            medians.append(statistics.median(delays))
            print(f"change {i + 1}: {number} reached all {len(delays)} streams: "
                  f"median {statistics.median(delays) * 1000:.0f} ms, worst {max(delays) * 1000:.0f} ms")
        print(f"over {args.changes} changes: median of medians {statistics.median(medians) * 1000:.0f} ms, "
              f"worst {max(worst_all) * 1000:.0f} ms; memory {rss_mb(server.pid):.1f} MB at the end")
        for _, writer in streams:
            writer.close()
    finally:
        server.terminate()
        try:
            server.wait(timeout=40)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
