"""Worker processes against one database of their own, as machines would run them: the
database (a PostgreSQL database on the PostgreSQL leg, a SQLite file on the SQLite leg) and
``manage`` to run ``lianban`` commands in it. A pytest plugin of the suite (conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection


@pytest.fixture
def shared_database(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A database of their own for the two workers, migrated, of this leg's kind."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "DJANGO_"))}
    env.update(LIANBAN_DATA_DIR=str(tmp_path), LIANBAN_WEBHOOK_NETWORKS="127.0.0.0/8")
    name = ""
    if connection.vendor == "postgresql":
        import psycopg

        name = f"lb_workers_{uuid.uuid4().hex[:8]}"
        settings = connection.settings_dict
        dsn = f"host={settings['HOST'] or '127.0.0.1'} port={settings['PORT'] or 5432} user={settings['USER'] or 'postgres'} dbname=postgres"
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = (
            f"postgres://{settings['USER'] or 'postgres'}@{settings['HOST'] or '127.0.0.1'}:"
            f"{settings['PORT'] or 5432}/{name}"
        )
    manage(env, "migrate", "--noinput")
    try:
        yield env
    finally:
        if name:
            with psycopg.connect(dsn, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "lianban", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout
