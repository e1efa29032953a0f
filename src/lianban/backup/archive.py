"""``lianban backup`` and ``lianban restore``: the database and every stored file in one
archive, checked by digest before anything is overwritten.

The archive is a gzipped tar holding ``manifest.json`` (format, database vendor, time, the
latest migration of each app, and the SHA-256 and size of every other member), the database
— SQLite's online backup of the whole file, or ``pg_dump --format=custom`` — and ``media/``
(materials, notices, results, sealed documents). The database is dumped first and the files
copied after, so every file a row names is in the archive (a file written meanwhile is merely
extra). A restore reads the whole archive and checks every digest first, refuses another
vendor's dump and, without ``force``, a database that already holds applications; then it
replaces the database, puts the files back and verifies the audit chain."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

FORMAT = 1
MANIFEST = "manifest.json"
DUMPS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is for the operator, in Chinese."""


@dataclass(frozen=True)
class Summary:
    path: Path
    vendor: str
    files: int
    bytes: int


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _pg_env() -> tuple[list[str], dict[str, str]]:
    db = settings.DATABASES["default"]
    args = [
        f"--host={db.get('HOST') or '127.0.0.1'}",
        f"--port={db.get('PORT') or 5432}",
        f"--username={db.get('USER') or 'postgres'}",
        f"--dbname={db['NAME']}",
    ]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise BackupError(
            f"找不到 {command[0]}：请安装与数据库同版本的 PostgreSQL 客户端。"
        ) from exc
    if done.returncode != 0:
        raise BackupError(f"{command[0]} 失败：{done.stderr.strip()[-500:]}")


def _dump_database(target: Path) -> None:
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        with sqlite3.connect(target) as out:
            # The online backup API copies a consistent snapshot while others keep writing.
            connection.connection.backup(out)
        return
    if connection.vendor == "postgresql":
        args, env = _pg_env()
        _run(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                *args,
                f"--file={target}",
            ],
            env,
        )
        return
    raise BackupError(f"不支持备份 {connection.vendor} 数据库。")


def _migrations() -> dict[str, str]:
    latest: dict[str, str] = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        latest[app] = max(latest.get(app, ""), name)
    return dict(sorted(latest.items()))


def create(path: Path) -> Summary:
    """Write the archive to ``path`` (its folder is made if missing)."""
    vendor = connection.vendor
    if vendor not in DUMPS:
        raise BackupError(f"不支持备份 {vendor} 数据库。")
    path.parent.mkdir(parents=True, exist_ok=True)
    media = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        dump = Path(tmp) / DUMPS[vendor]
        _dump_database(dump)
        members: dict[str, Path] = {DUMPS[vendor]: dump}
        if media.is_dir():
            for file in sorted(p for p in media.rglob("*") if p.is_file()):
                members[str(PurePosixPath("media", *file.relative_to(media).parts))] = file
        sizes = {name: p.stat().st_size for name, p in members.items()}
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "vendor": vendor,
            "created_at": dt.datetime.now(dt.UTC).isoformat(),
            "migrations": _migrations(),
            "members": {
                name: {"sha256": _sha256(p), "size": p.stat().st_size}
                for name, p in members.items()
            },
        }
        partial = path.with_name(path.name + ".part")
        with tarfile.open(partial, "w:gz") as tar:
            data = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            info.mtime = int(dt.datetime.now().timestamp())
            tar.addfile(info, io.BytesIO(data))
            for name, p in members.items():
                tar.add(p, arcname=name, recursive=False)
        # Only a complete archive gets the name: a failure leaves no archive that looks whole.
        partial.replace(path)
    return Summary(path, vendor, len(members) - 1, sum(sizes.values()))


def _safe_name(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return bool(parts) and not PurePosixPath(name).is_absolute() and ".." not in parts


def _unpack(path: Path, into: Path) -> dict[str, Any]:
    """Extract and check every member against the manifest; nothing is restored yet."""
    try:
        with tarfile.open(path, "r:gz") as tar:
            names = tar.getnames()
            if MANIFEST not in names:
                raise BackupError("这不是联办备份文件：缺少 manifest.json。")
            for member in tar.getmembers():
                if not member.isfile() or not _safe_name(member.name):
                    raise BackupError(f"备份文件含有不允许的条目：{member.name}")
            tar.extractall(into, filter="data")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BackupError(f"备份文件无法读取（可能已损坏或不完整）：{exc}") from exc
    manifest = json.loads((into / MANIFEST).read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise BackupError(f"备份格式 {manifest.get('format')} 不受支持。")
    for name, expected in manifest["members"].items():
        file = into / name
        if not file.is_file() or _sha256(file) != expected["sha256"]:
            raise BackupError(f"备份文件中的 {name} 与清单不符（已损坏），未做任何恢复。")
    return dict(manifest)


def _has_data() -> bool:
    from lianban.applications.models import Application
    from lianban.audit.models import Event

    try:
        return Application.objects.exists() or Event.objects.exists()
    except Exception:  # no tables yet: an empty database
        return False


def _restore_database(vendor: str, dump: Path) -> None:
    if vendor == "sqlite":
        name = str(settings.DATABASES["default"]["NAME"])
        connection.close()
        with sqlite3.connect(dump) as source:
            if name == ":memory:" or name.startswith("file:memorydb"):
                connection.ensure_connection()  # a test's in-memory database
                source.backup(connection.connection)
            else:
                with sqlite3.connect(name) as target:
                    source.backup(target)
        return
    connection.close()
    args, env = _pg_env()
    _run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            *args,
            str(dump),
        ],
        env,
    )


def restore(path: Path, *, force: bool = False) -> Summary:
    vendor = connection.vendor
    if not path.is_file():
        raise BackupError(f"找不到备份文件 {path}。")
    with tempfile.TemporaryDirectory() as tmp:
        into = Path(tmp)
        manifest = _unpack(path, into)
        if manifest["vendor"] != vendor:
            raise BackupError(
                f"这是 {manifest['vendor']} 数据库的备份，不能恢复到当前的 {vendor} 数据库。"
            )
        if not force and _has_data():
            raise BackupError("当前数据库已有申请或留痕记录；确需用备份覆盖时请加 --force。")
        _restore_database(vendor, into / DUMPS[vendor])
        media = Path(settings.MEDIA_ROOT)
        count = 0
        for name in manifest["members"]:
            if not name.startswith("media/"):
                continue
            target = media.joinpath(*PurePosixPath(name).parts[1:])
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(into / name, target)
            count += 1
    total = sum(m["size"] for m in manifest["members"].values())
    return Summary(path, vendor, count, total)
