"""Scenario 1: `kill -9` of `meja serve` while tickets are being opened, replies written and
e-mail taken in; after a restart every acknowledged item is there exactly once, the outbox
resumes and the audit chain verifies."""

from __future__ import annotations

import os
import random
import time
import uuid
from collections import Counter

from harness import (Database, Failure, Meja, audit_verify, build_city, call, expect, new_ticket_body, parse_time,
                     raw_mail)
from load import Load, Outcome

LOAD_SECONDS = 4.0  # SIGKILL after this much load (and enough of each kind acknowledged)
BUDGET = 200  # requests per worker at most
PACE = 0.025  # seconds between one worker's requests: at most 40/s each, 280/s in all


def run(binary: str, backend: str, cleanup) -> str:
    db = Database(backend, cleanup)
    smtp = os.environ.get("MEJA_TEST_SMTP_URL")
    env = {"MEJA_JOBS_INTERVAL_SECONDS": "1", "MEJA_MAIL_DAILY_LIMIT": "1000"}
    if smtp:
        env["MEJA_SMTP_URL"] = smtp
    meja = Meja(binary, db.url, cleanup, db.dir, name=f"serve-{backend}", env=env).start()
    city = build_city(meja.base)
    agent, admin = city.tokens["t1.dinkes"], city.admin
    # Tickets the replies go to.
    targets = []
    for i in range(6):
        body = expect(call(meja.base, "POST", "/api/v1/tickets",
                           new_ticket_body(f"Sasaran balasan {i}", f"sasaran{i}@warga.test"), agent), (201,), "ticket")
        targets.append(body["number"])

    def create(i: str) -> Outcome:
        title = f"Beban {uuid.uuid4().hex}"
        r = call(meja.base, "POST", "/api/v1/tickets", new_ticket_body(title, f"w{uuid.uuid4().hex[:10]}@warga.test"), agent)
        return Outcome("ticket", title, r.status, r.elapsed, time.monotonic(), r.content_type, r.body, r.error)

    def reply(i: str) -> Outcome:
        text = f"Balasan {uuid.uuid4().hex}"
        number = random.choice(targets)
        r = call(meja.base, "POST", f"/api/v1/tickets/{number}/messages", {"body": text, "internal": False}, agent)
        return Outcome("reply", f"{number} {text}", r.status, r.elapsed, time.monotonic(), r.content_type, r.body, r.error)

    mails: dict[str, bytes] = {}

    def mail(i: str) -> Outcome:
        mid = f"{uuid.uuid4().hex}@warga.test"
        raw = raw_mail(mid, f"m{uuid.uuid4().hex[:10]}@warga.test", f"Gangguan {mid}")
        mails[mid] = raw
        r = call(meja.base, "POST", "/api/v1/channels/email/inbound?mailbox=dinkes", raw=raw, token=admin,
                 content_type="message/rfc822")
        return Outcome("mail", mid, r.status, r.elapsed, time.monotonic(), r.content_type, r.body, r.error)

    load = Load(pace=PACE)
    load.add(create, threads=3, budget=BUDGET)
    load.add(reply, threads=2, budget=BUDGET)
    load.add(mail, threads=2, budget=BUDGET)
    started = time.monotonic()
    load.start()
    while time.monotonic() - started < 15:
        enough = all(len(load.acked(k)) >= 15 for k in ("ticket", "reply", "mail"))
        if time.monotonic() - started >= LOAD_SECONDS and enough:
            break
        time.sleep(0.1)
    meja.kill9()
    killed_at = time.monotonic()
    load.stop()
    outcomes = load.snapshot()
    bad = [o for o in outcomes if o.status >= 500 and o.started < killed_at - 0.5]
    if bad:
        raise Failure(f"{len(bad)} 5xx answers before the kill, e.g. {bad[0].status} {str(bad[0].body)[:200]}")
    delivered_before = int(db.scalar("SELECT count(*) FROM outbox WHERE delivered_at IS NOT NULL")) if smtp else 0

    meja.start()
    restarted = time.monotonic()

    # Every e-mail again, as an MTA retrying after the crash: the acknowledged ones must be
    # recognised as duplicates, the others taken in now (or recognised, if they were committed).
    resent = Counter()
    for mid, raw in mails.items():
        r = call(meja.base, "POST", "/api/v1/channels/email/inbound?mailbox=dinkes", raw=raw, token=admin,
                 content_type="message/rfc822")
        body = expect(r, (200, 201), f"mail {mid} again")
        resent[body.get("outcome")] += 1
        acked = any(o.key == mid and o.status in (200, 201) for o in outcomes if o.kind == "mail")
        if acked and body.get("outcome") != "duplicate":
            raise Failure(f"mail {mid} was acknowledged before the kill but taken in again: {body}")

    acked = {k: [o for o in outcomes if o.kind == k and o.status in (200, 201)] for k in ("ticket", "reply", "mail")}
    attempted = {k: [o for o in outcomes if o.kind == k] for k in ("ticket", "reply", "mail")}

    titles = Counter(r[0] for r in db.rows("SELECT title FROM tickets"))
    for o in attempted["ticket"]:
        n = titles.get(o.key, 0)
        if o.status == 201 and n != 1:
            raise Failure(f"acknowledged ticket {o.key} ({o.body.get('number')}) is there {n} times")
        if n > 1:
            raise Failure(f"ticket {o.key} is there {n} times")
    numbers = {r[0] for r in db.rows("SELECT number FROM tickets")}
    missing = [o.body["number"] for o in acked["ticket"] if o.body["number"] not in numbers]
    if missing:
        raise Failure(f"acknowledged ticket numbers missing after the restart: {missing[:5]}")

    bodies = Counter(r[0] for r in db.rows("SELECT body FROM messages WHERE author_id IS NOT NULL"))
    for o in attempted["reply"]:
        text = o.key.split(" ", 1)[1]
        n = bodies.get(text, 0)
        if o.status == 201 and n != 1:
            raise Failure(f"acknowledged reply {text!r} is there {n} times")
        if n > 1:
            raise Failure(f"reply {text!r} is there {n} times")

    for mid in mails:
        n = titles.get(f"Gangguan {mid}", 0)
        if n != 1:
            raise Failure(f"mail {mid}: {n} tickets after it was sent again (want exactly 1)")
    keys = Counter(r[0] for r in db.rows("SELECT message_key FROM mail_messages WHERE direction = 'inbound'"))
    doubled = [k for k, n in keys.items() if n > 1]
    if doubled:
        raise Failure(f"mail_messages doubled: {doubled[:3]}")

    # Each ticket has its one acknowledgement in the outbox; each reply its one notice.
    received = Counter(r[0] for r in db.rows("SELECT ticket_id FROM outbox WHERE template = 'ticket_received'"))
    tickets = db.rows("SELECT id, number FROM tickets")
    wrong = [num for tid, num in tickets if received.get(tid, 0) != 1]
    if wrong:
        raise Failure(f"tickets without exactly one acknowledgement in the outbox: {wrong[:5]}")
    reply_rows = Counter(r[0] for r in db.rows("SELECT ticket_id FROM outbox WHERE template = 'reply'"))
    staff_msgs = Counter(r[0] for r in db.rows(
        "SELECT ticket_id FROM messages WHERE author_id IS NOT NULL AND internal = false"))
    off = [tid for tid in set(reply_rows) | set(staff_msgs) if reply_rows.get(tid, 0) != staff_msgs.get(tid, 0)]
    if off:
        raise Failure(f"reply notices and replies differ on {len(off)} tickets")

    outbox_total = int(db.scalar("SELECT count(*) FROM outbox WHERE channel = 'email'"))
    if smtp:
        # Resumed: every notice that is due goes out; only those leased by the killed process
        # wait for their lease (ten minutes) and go out then, with the same Message-ID.
        deadline = time.monotonic() + 40
        while True:
            rows = db.rows("SELECT next_attempt_at, attempts FROM outbox WHERE channel = 'email' AND delivered_at IS NULL")
            now = time.time()
            due = [r for r in rows if parse_time(r[0]) <= now + 1]
            if not due:
                break
            if time.monotonic() > deadline:
                raise Failure(f"{len(due)} due notices not delivered 40 s after the restart (of {outbox_total})")
            time.sleep(1)
        # Nothing is due any more; the restarted desk may still be sending the batch it leased a
        # moment ago (those rows look leased, then delivered, and were once counted as both). So
        # the counts are taken in one statement, once they have stopped moving.
        snapshot = None
        settle = time.monotonic() + 15
        while True:
            now_counts = tuple(int(v) for v in db.rows(
                "SELECT count(*), "
                "COALESCE(SUM(CASE WHEN delivered_at IS NOT NULL THEN 1 ELSE 0 END), 0), "
                "COALESCE(SUM(CASE WHEN delivered_at IS NULL THEN 1 ELSE 0 END), 0), "
                "COALESCE(SUM(CASE WHEN delivered_at IS NULL AND attempts < 1 THEN 1 ELSE 0 END), 0) "
                "FROM outbox WHERE channel = 'email'")[0])
            if now_counts == snapshot or time.monotonic() > settle:
                break
            snapshot = now_counts
            time.sleep(1)
        outbox_total, delivered, leased, never_attempted = now_counts
        if never_attempted:
            raise Failure(f"{never_attempted} undelivered notices were never attempted")
        outbox_note = (f"outbox {outbox_total}: {delivered_before} sent before the kill, {delivered} after the restart, "
                       f"{leased} held by the killed process's lease (resent when it ends)")
    else:
        undelivered = int(db.scalar("SELECT count(*) FROM outbox WHERE channel = 'email' AND delivered_at IS NULL"))
        if undelivered != outbox_total:
            raise Failure("notices marked delivered without an SMTP server")
        outbox_note = f"outbox {outbox_total} rows kept, all waiting (no MEJA_TEST_SMTP_URL)"

    # Cut off by the kill, not acknowledged: committed or not, but never twice (checked above).
    unacked_tickets = [o for o in attempted["ticket"] if o.status != 201]
    unacked_replies = [o for o in attempted["reply"] if o.status != 201]
    committed = (sum(1 for o in unacked_tickets if titles.get(o.key)) +
                 sum(1 for o in unacked_replies if bodies.get(o.key.split(" ", 1)[1])))
    recovered_in = time.monotonic() - restarted
    meja.stop()
    verdict = audit_verify(meja)
    statuses = Counter(o.status for o in outcomes)
    return (f"{len(outcomes)} requests in {killed_at - started:.1f} s before SIGKILL "
            f"(statuses {dict(sorted(statuses.items()))}); acknowledged {len(acked['ticket'])} tickets, "
            f"{len(acked['reply'])} replies, {len(acked['mail'])} mails — all there once; "
            f"{len(unacked_tickets)} tickets + {len(unacked_replies)} replies + "
            f"{len(attempted['mail']) - len(acked['mail'])} mails cut off by the kill, at most once "
            f"({committed} of the tickets and replies had committed); {len(mails)} mails sent again: "
            f"{dict(resent)}; {outbox_note}; checked {recovered_in:.1f} s after restart; {verdict}")
