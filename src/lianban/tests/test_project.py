"""Project-wide promises: documented settings, the database each CI leg claims to use."""

import os
from pathlib import Path

import pytest
from django.db import connection

from lianban import conf

README = Path(__file__).resolve().parents[3] / "README.md"


def test_every_setting_is_documented_in_the_readme():
    readme = README.read_text(encoding="utf-8")
    for name in conf.SETTINGS:
        assert f"| `{name}` |" in readme, f"{name} is missing from the README's configuration table"


def test_a_secret_can_come_from_a_file(tmp_path, monkeypatch):
    secret = tmp_path / "key"
    secret.write_text("s3cret\n", encoding="utf-8")
    monkeypatch.delenv("LIANBAN_SECRET_KEY", raising=False)
    monkeypatch.setenv("LIANBAN_SECRET_KEY_FILE", str(secret))
    assert conf.env("LIANBAN_SECRET_KEY") == "s3cret"


def test_an_undeclared_setting_is_refused():
    with pytest.raises(conf.ConfigurationError):
        conf.env("LIANBAN_NOT_A_SETTING")


def test_a_malformed_boolean_is_refused(monkeypatch):
    monkeypatch.setenv("LIANBAN_DEBUG", "maybe")
    with pytest.raises(conf.ConfigurationError):
        conf.env_bool("LIANBAN_DEBUG")


@pytest.mark.django_db
def test_the_suite_runs_on_the_database_ci_asked_for():
    expected = os.environ.get("LIANBAN_EXPECT_DB")
    if not expected:
        pytest.skip("LIANBAN_EXPECT_DB not set (CI sets it for each leg)")
    assert connection.vendor == expected


def test_database_settings_match_the_engine():
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        # WAL lets readers run beside the one writer; the in-memory test database itself
        # cannot use WAL, so the setting is what is checked.
        assert "journal_mode=WAL" in db["OPTIONS"]["init_command"]
        assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    else:
        assert db["ENGINE"] == "django.db.backends.postgresql"
        assert db["CONN_HEALTH_CHECKS"] is True


def test_production_settings_pass_the_deploy_checks(tmp_path):
    """`lianban check --deploy` with the settings the README's deployment section gives: no
    warning at all (HTTPS, HSTS, secure cookies, a real secret key and signing passphrase)."""
    import os
    import secrets
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIANBAN_", "DJANGO_"))}
    env.update(
        LIANBAN_DATA_DIR=str(tmp_path),
        LIANBAN_SECRET_KEY=secrets.token_urlsafe(50),
        LIANBAN_SIGNING_PASSPHRASE=secrets.token_urlsafe(32),
        LIANBAN_ALLOWED_HOSTS="yjs.example.gov.cn",
        LIANBAN_SECURE="true",
    )
    done = subprocess.run(
        [sys.executable, "-m", "lianban", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout
    # Served over HTTPS, the site does not start on a development secret at all.
    for name in ("LIANBAN_SECRET_KEY", "LIANBAN_SIGNING_PASSPHRASE"):
        refused = subprocess.run(
            [sys.executable, "-m", "lianban", "check"],
            env={k: v for k, v in env.items() if k != name},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert refused.returncode != 0
        assert f"{name} must be set" in refused.stderr
    # Elsewhere the development defaults are called out.
    env.pop("LIANBAN_SIGNING_PASSPHRASE")
    env.pop("LIANBAN_SECURE")
    warned = subprocess.run(
        [sys.executable, "-m", "lianban", "check", "--deploy"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "LIANBAN_SIGNING_PASSPHRASE" in warned.stdout + warned.stderr


def test_sessions_are_read_from_the_shared_cache_only(tmp_path):
    """With a shared cache (Redis) sessions are read from it; with each process's own memory
    they are read from the database, or one process could serve a session another ended."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIANBAN_", "DJANGO_"))}
    env["LIANBAN_DATA_DIR"] = str(tmp_path)
    show = "from django.conf import settings; print(settings.SESSION_ENGINE)"

    def engine(**extra: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "lianban", "shell", "-c", show],
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip().splitlines()[-1]

    assert engine(LIANBAN_CACHE_URL="redis://127.0.0.1:6379/14") == (
        "django.contrib.sessions.backends.cached_db"
    )
    assert engine() == "django.contrib.sessions.backends.db"
