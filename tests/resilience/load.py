"""A bounded load: worker threads, each calling one function until told to stop or until its
request budget is spent, recording every outcome."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field


@dataclass
class Outcome:
    kind: str
    key: str  # what identifies the item: a title, a message body, a Message-ID
    status: int
    elapsed: float
    started: float  # monotonic
    content_type: str = ""
    body: object = None
    error: str = ""


@dataclass
class Load:
    """`Load.add(kind, fn, threads, budget)`, then `start()`, `stop()`. `fn(i)` returns an Outcome."""

    outcomes: list = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)
    threads: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    pace: float = 0.0  # seconds between one worker's requests (0: back to back)

    def add(self, fn, threads: int, budget: int) -> None:
        for n in range(threads):
            t = threading.Thread(target=self._work, args=(fn, budget, n), daemon=True)
            self.threads.append(t)

    def _work(self, fn, budget: int, n: int) -> None:
        for i in range(budget):
            if self.stopping.is_set():
                return
            begun = time.monotonic()
            outcome = fn(f"{n}-{i}")
            with self.lock:
                self.outcomes.append(outcome)
            if self.pace:
                rest = self.pace - (time.monotonic() - begun)
                if rest > 0 and self.stopping.wait(rest):
                    return

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def finish(self, wait: float = 60) -> None:
        """Waits for the workers to spend their budgets (at most `wait` seconds), then stops them."""
        deadline = time.monotonic() + wait
        for t in self.threads:
            t.join(max(0.1, deadline - time.monotonic()))
        self.stop()

    def stop(self, wait: float = 20) -> None:
        self.stopping.set()
        deadline = time.monotonic() + wait
        for t in self.threads:
            t.join(max(0.1, deadline - time.monotonic()))

    def snapshot(self) -> list:
        with self.lock:
            return list(self.outcomes)

    def acked(self, kind: str) -> list:
        return [o for o in self.snapshot() if o.kind == kind and 200 <= o.status < 300]

    def attempted(self, kind: str) -> list:
        return [o for o in self.snapshot() if o.kind == kind]
