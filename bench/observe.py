"""What a load pass cost and what it waited for: CPU seconds of each group of processes on the
machine (web workers, PostgreSQL, the sealing worker, the load generator), read from /proc, and
what PostgreSQL's active sessions were doing, sampled from ``pg_stat_activity``."""

from __future__ import annotations

import os
import re
import threading
from collections import Counter
from typing import Any

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
GROUPS = (("web", "gunicorn"), ("sealer", "seal_notices"))


def cpu_by_process() -> dict[int, tuple[str, float]]:
    """Each live process of a group: (its group, CPU seconds, user + system, used so far)."""
    used: dict[int, tuple[str, float]] = {}
    me = os.getpid()
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read().decode(errors="replace")
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().decode(errors="replace")
        except OSError:
            continue  # gone meanwhile
        # The command name is in parentheses and may hold spaces: the fields follow the last ")".
        fields = stat.rsplit(")", 1)[1].split()
        seconds = (int(fields[11]) + int(fields[12])) / TICKS
        name = stat[stat.find("(") + 1 : stat.rfind(")")]
        if int(entry) == me:
            used[me] = ("load generator", seconds)
        elif name == "postgres" or cmdline.startswith("postgres"):
            used[int(entry)] = ("database", seconds)
        else:
            for group, mark in GROUPS:
                if mark in cmdline:
                    used[int(entry)] = (group, seconds)
                    break
    return used


class CpuSampler:
    """CPU seconds each group used while the block ran, process by process, read every
    ``interval`` seconds: a database session lives as long as the web process keeps its
    connection (``CONN_MAX_AGE``), so one may start and end within a pass, and one that ends
    (an autovacuum worker, say) must not take its whole life's CPU off its group's sum. What
    a process used after its last reading is not counted."""

    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        self.first: dict[int, tuple[str, float]] = {}
        self.last: dict[int, tuple[str, float]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> CpuSampler:
        self.first = cpu_by_process()
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join(5)
        self.last.update(cpu_by_process())

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.last.update(cpu_by_process())

    def spent(self) -> dict[str, float]:
        used: Counter[str] = Counter()
        for pid, (group, seconds) in self.last.items():
            _, earlier = self.first.get(pid, (group, 0.0))
            used[group] += seconds - earlier
        return {g: s for g, s in used.items() if s > 0}


_TABLE = re.compile(r'\b(?:INTO|FROM|UPDATE)\s+"?(\w+)', re.IGNORECASE)


def _statement(query: str) -> str:
    """A statement as 'VERB table' (the first table it names), so that samples group."""
    words = query.split(None, 1)
    if not words:
        return "?"
    table = _TABLE.search(query)
    return f"{words[0].upper()} {table.group(1) if table else ''}".strip()


class WaitSampler:
    """Samples, every ``interval`` seconds on its own connection, what the active sessions of
    ``database`` wait for ("CPU" when they wait for nothing) and which statement they run."""

    def __init__(self, dsn: str, database: str, interval: float = 0.1) -> None:
        self.dsn, self.database, self.interval = dsn, database, interval
        self.counts: Counter[tuple[str, str]] = Counter()
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> WaitSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        import psycopg

        with psycopg.connect(self.dsn, autocommit=True) as conn:
            while not self._stop.wait(self.interval):
                rows = conn.execute(
                    "SELECT wait_event_type, wait_event, query FROM pg_stat_activity "
                    "WHERE datname = %s AND state = 'active' AND pid <> pg_backend_pid()",
                    [self.database],
                ).fetchall()
                self.samples += 1
                for kind, event, query in rows:
                    wait = f"{kind}:{event}" if kind else "CPU"
                    self.counts[(wait, _statement(query or ""))] += 1

    def report(self, top: int = 6) -> str:
        seen = sum(self.counts.values())
        if not seen:
            return "database sessions: none active in any sample"
        lines = [
            f"database sessions, sampled every {self.interval:g} s ({self.samples} samples, "
            f"{seen / max(self.samples, 1):.1f} active on average):"
        ]
        for (wait, statement), n in self.counts.most_common(top):
            lines.append(f"  {100 * n / seen:4.0f} %  {wait:<28} {statement}")
        return "\n".join(lines)


def report_cpu(spent: dict[str, float], elapsed: float, per: tuple[str, int] | None) -> str:
    """CPU of each group over the pass, as a share of a core and, with ``per`` = (what, how
    many), in ms for each."""
    order = ["web", "database", "sealer", "load generator"]
    parts = []
    for group in sorted(spent, key=lambda g: order.index(g) if g in order else len(order)):
        text = f"{group} {spent[group] / elapsed:.2f}"
        if per and per[1]:
            text += f" ({1000 * spent[group] / per[1]:.1f} ms a {per[0]})"
        parts.append(text)
    return "CPU, in cores: " + ", ".join(parts) + f" of {os.cpu_count()}"
