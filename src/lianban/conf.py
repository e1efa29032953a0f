"""Every environment variable lianban reads, in one place.

Each setting is declared once in ``SETTINGS`` with its meaning and default, and read through
:func:`env`.  A secret may instead be given as a file path in ``<NAME>_FILE`` (for container
secrets); the file's content, stripped, is the value.  The README's configuration table is
checked against ``SETTINGS`` by the test suite, so the two cannot drift apart.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    default: str
    help: str
    secret: bool = False


SETTINGS: dict[str, Setting] = {
    "LIANBAN_DEBUG": Setting("false", "Django debug mode (true/false). Never true in production."),
    "LIANBAN_SECRET_KEY": Setting(
        "",
        "Django secret key. Required when LIANBAN_SECURE is true (the site does not start "
        "without it); a development key is used otherwise.",
        secret=True,
    ),
    "LIANBAN_ALLOWED_HOSTS": Setting(
        "127.0.0.1,localhost", "Comma-separated host names the site answers to."
    ),
    "LIANBAN_DATA_DIR": Setting(
        "var", "Directory for the SQLite database, uploaded files and generated documents."
    ),
    "DATABASE_URL": Setting(
        "",
        "Database URL, e.g. postgres://user@127.0.0.1:5432/lianban. "
        "Empty: SQLite (WAL) at LIANBAN_DATA_DIR/lianban.sqlite3.",
        secret=True,
    ),
    "LIANBAN_TIME_ZONE": Setting("Asia/Shanghai", "Time zone of the service hall."),
    "LIANBAN_SECURE": Setting(
        "false", "Behind HTTPS: secure cookies, HSTS and SSL redirect (true/false)."
    ),
    "LIANBAN_LOG_LEVEL": Setting("INFO", "Log level of the lianban loggers."),
    "LIANBAN_MAX_UPLOAD_MB": Setting("20", "Largest accepted material file, in megabytes."),
    "LIANBAN_SITE_URL": Setting(
        "http://127.0.0.1:8000", "Public address of the site, printed in documents' QR codes."
    ),
    "LIANBAN_SMS_BACKEND": Setting(
        "outbox",
        "SMS delivery: 'outbox' keeps messages in the database for staff to see; 'http' posts "
        "them to LIANBAN_SMS_URL.",
    ),
    "LIANBAN_SMS_URL": Setting("", "HTTP endpoint of the SMS provider (with the 'http' backend)."),
    "LIANBAN_SMS_TOKEN": Setting("", "Bearer token for the SMS provider.", secret=True),
    "LIANBAN_API_TOKEN_SECONDS": Setting(
        "3600", "Lifetime of an API access token issued to a department system, in seconds."
    ),
    "LIANBAN_API_RATE_LIMIT": Setting(
        "600",
        "Requests per minute one API client system may make (0: no limit); beyond it the API "
        "answers 429 with Retry-After.",
    ),
    "LIANBAN_CACHE_URL": Setting(
        "",
        "Shared cache, e.g. redis://127.0.0.1:6379/0: with several web processes the API rate "
        "limit is counted across all of them and sessions are read from it. Empty: each process "
        "counts on its own and sessions are read from the database.",
    ),
    "LIANBAN_WEBHOOK_TIMEOUT": Setting(
        "10", "Seconds a webhook receiver has to answer one delivery before it counts as failed."
    ),
    "LIANBAN_WEBHOOK_NETWORKS": Setting(
        "",
        "Comma-separated networks (CIDR) webhook receivers may be in besides public addresses, "
        "e.g. the government network's 10.0.0.0/8. Loopback and other internal addresses are "
        "refused unless listed.",
    ),
    "LIANBAN_SIGNING_PASSPHRASE": Setting(
        "",
        "Passphrase that encrypts the platform's signing keys (CA, timestamps, seals, personal "
        "certificates) in the database. Required when LIANBAN_SECURE is true (the site does not "
        "start without it); a development passphrase is used while it is empty, and "
        "`lianban check --deploy` warns.",
        secret=True,
    ),
    "LIANBAN_SEAL_IN_WORKER": Setting(
        "false",
        "true: notices (receipts, correction, acceptance and refusal notices) are numbered and "
        "worded in the request and sealed by `lianban seal_notices --loop` right after; false: "
        "sealed in the request itself (one machine, no worker to run).",
    ),
    "LIANBAN_REVIEW_FOLLOWUP_DAYS": Setting(
        "5",
        "好差评: working days a responsible unit has to follow up a bad review (call back, "
        "verify, rectify, report), counted from the day after the review.",
    ),
    "LIANBAN_OIDC_ISSUER": Setting(
        "",
        "一次登录: issuer URL of the unified identity's OpenID Connect provider (discovery at "
        "ISSUER/.well-known/openid-configuration). Empty: OIDC sign-in is off.",
    ),
    "LIANBAN_OIDC_CLIENT_ID": Setting("", "Client id lianban is registered under at the provider."),
    "LIANBAN_OIDC_CLIENT_SECRET": Setting(
        "", "Client secret at the provider (empty: a public client, PKCE only).", secret=True
    ),
    "LIANBAN_OIDC_SCOPE": Setting("openid profile phone", "Scopes asked of the provider."),
    "LIANBAN_OIDC_CLAIM_ID_NUMBER": Setting(
        "id_number", "Claim with the person's resident identity number."
    ),
    "LIANBAN_OIDC_CLAIM_NAME": Setting("name", "Claim with the person's name."),
    "LIANBAN_OIDC_CLAIM_PHONE": Setting("phone_number", "Claim with the mobile number."),
    "LIANBAN_OIDC_CLAIM_CREDIT_CODE": Setting(
        "credit_code",
        "Claim with a legal person's unified social credit code (present: a legal person).",
    ),
    "LIANBAN_WARM_UP": Setting(
        "true",
        "A web process (lianban.wsgi) imports its views and compiles its templates and the "
        "definitions in force before its first request (true/false).",
    ),
    "LIANBAN_OIDC_CLAIM_ORG_NAME": Setting("org_name", "Claim with a legal person's name."),
    "LIANBAN_OIDC_CLAIM_LEGAL_REPRESENTATIVE": Setting(
        "legal_representative", "Claim with a legal person's legal representative (optional)."
    ),
}


class ConfigurationError(RuntimeError):
    pass


def env(name: str) -> str:
    """The value of a declared setting: ``NAME``, else the file named by ``NAME_FILE``, else
    the declared default."""
    if name not in SETTINGS:
        raise ConfigurationError(f"{name} is not a declared lianban setting (see lianban/conf.py)")
    value = os.environ.get(name)
    if value is not None:
        return value
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return SETTINGS[name].default


def env_bool(name: str) -> bool:
    value = env(name).strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigurationError(f"{name} must be true or false, not {value!r}")


def env_list(name: str) -> list[str]:
    return [part.strip() for part in env(name).split(",") if part.strip()]
