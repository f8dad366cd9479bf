"""Backup and restore of the whole platform: the database and the uploaded files (issue 10).

A backup is one .tar.gz archive:

    manifest.json       format version, time, database engine, applied migrations, row
                        counts per table, and the SHA-256 of every file in the archive
    database.sqlite3    SQLite: a consistent copy made with SQLite's online backup API
    database.pgdump     PostgreSQL: `pg_dump --format=custom` (one consistent snapshot)
    media/…             the uploaded files (MEDIA_ROOT)

The database is copied first, then the files: every file the copied rows refer to was
written before its row, so it is in the archive (a file uploaded during the backup may be
there without its row, which is harmless). Restore checks every checksum before it touches
anything, refuses an archive of another engine, replaces the database's content and the
uploaded files, and then runs the migrations (an older backup restored into a newer
release is brought up to date).
"""

import datetime
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

FORMAT = 1


class BackupError(Exception):
    pass


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _tool(name):
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed (PostgreSQL's client tools are needed)")
    return path


def _pg_env():
    db = connection.settings_dict
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    args = ["-h", str(db.get("HOST") or "127.0.0.1"), "-p", str(db.get("PORT") or 5432)]
    if db.get("USER"):
        args += ["-U", str(db["USER"])]
    return env, args, db["NAME"]


def row_counts():
    return {
        model._meta.db_table: model._base_manager.count()
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }


def _dump_database(folder):
    if connection.vendor == "sqlite":
        target = folder / "database.sqlite3"
        connection.ensure_connection()
        with sqlite3.connect(target) as copy:
            connection.connection.backup(copy)
        copy.close()
        return target
    if connection.vendor == "postgresql":
        target = folder / "database.pgdump"
        env, args, name = _pg_env()
        subprocess.run(  # noqa: S603 (fixed arguments from the settings)
            [_tool("pg_dump"), *args, "--format=custom", "--no-owner", "--file", str(target), name],
            env=env,
            check=True,
            capture_output=True,
        )
        return target
    raise BackupError(f"unsupported database engine: {connection.vendor}")


def create_backup(output):
    """Write a backup archive to `output` (a path); returns the manifest."""
    output = Path(output)
    media = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        database = _dump_database(folder)
        manifest = {
            "format": FORMAT,
            "created_at": datetime.datetime.now(datetime.UTC).isoformat(),
            "engine": connection.vendor,
            "migrations": sorted(f"{a}.{n}" for a, n in MigrationRecorder(connection).applied_migrations()),
            "rows": row_counts(),
            "files": {database.name: _sha256(database)},
        }
        media_files = sorted(p for p in media.rglob("*") if p.is_file()) if media.exists() else []
        for path in media_files:
            manifest["files"]["media/" + path.relative_to(media).as_posix()] = _sha256(path)
        output.parent.mkdir(parents=True, exist_ok=True)
        partial = output.with_suffix(output.suffix + ".partial")
        with tarfile.open(partial, "w:gz") as archive:
            data = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
            archive.add(database, arcname=database.name)
            for path in media_files:
                archive.add(path, arcname="media/" + path.relative_to(media).as_posix())
        partial.replace(output)  # never a half-written archive under the final name
    return manifest


def _safe_members(archive):
    for member in archive.getmembers():
        name = Path(member.name)
        if name.is_absolute() or ".." in name.parts or not (member.isfile() or member.isdir()):
            raise BackupError(f"unsafe entry in the archive: {member.name}")
        yield member


def read_manifest(source):
    with tarfile.open(source, "r:gz") as archive:
        member = archive.getmember("manifest.json")
        return json.load(archive.extractfile(member))


def restore_backup(source):
    """Replace the database and the uploaded files with the archive's; returns the manifest."""
    source = Path(source)
    try:
        archive = tarfile.open(source, "r:gz")  # noqa: SIM115 (closed by the with below)
    except (OSError, tarfile.TarError) as error:
        raise BackupError(f"not a backup archive: {error}") from error
    with archive, tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}  # Python ≥ 3.11.4
        archive.extractall(folder, members=list(_safe_members(archive)), **safe)  # noqa: S202 (members checked)
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        if manifest.get("format") != FORMAT:
            raise BackupError(f"unknown backup format {manifest.get('format')}")
        if manifest["engine"] != connection.vendor:
            raise BackupError(f"the backup is of {manifest['engine']}, this database is {connection.vendor}")
        for name, digest in manifest["files"].items():
            path = folder / name
            if not path.is_file() or _sha256(path) != digest:
                raise BackupError(f"the archive is damaged: {name}")
        _restore_database(folder, manifest["engine"])
        media = Path(settings.MEDIA_ROOT)
        if media.exists():
            shutil.rmtree(media)
        if (folder / "media").exists():
            shutil.copytree(folder / "media", media)
        else:
            media.mkdir(parents=True, exist_ok=True)
    call_command("migrate", verbosity=0, interactive=False)
    return manifest


def _restore_database(folder, engine):
    if engine == "sqlite":
        connection.ensure_connection()
        with sqlite3.connect(folder / "database.sqlite3") as copy:
            copy.backup(connection.connection)
        copy.close()
        return
    env, args, name = _pg_env()
    connection.close()  # pg_restore --clean needs the tables free
    result = subprocess.run(  # noqa: S603 (fixed arguments from the settings)
        [_tool("pg_restore"), *args, "--clean", "--if-exists", "--no-owner", "--single-transaction", "-d", name,
         str(folder / "database.pgdump")],
        env=env,
        capture_output=True,
        text=True,
    )  # fmt: skip
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed: {result.stderr.strip()[:500]}")
