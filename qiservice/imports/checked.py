"""The rows a dry run found valid, kept with the job so that the import neither reads nor
checks the workbook again (issue 6: 100 000 rows imported in seconds, not minutes).

The file is gzip-compressed JSON lines under MEDIA_ROOT, next to the upload: a first line
``{"format": 2, "kind": …}``, then per checked chunk a line ``[[row number, {model field:
value}], …]`` of its valid rows, in sheet order. Values are the Checker's cleaned values, with related objects as their
primary key (``district_id``, ``enterprise_id``) and dates as ISO text. The import re-checks
only what depends on the database (duplicates, the enterprise, the user's districts) —
`rules.Checker.recheck_chunk`.

The file is written by the server and never comes from a user; one that is missing or of
another format makes the import fall back to checking the workbook again.
"""

import datetime as dt
import gzip
import json
import os
from pathlib import Path

from django.core.files.storage import default_storage
from django.db import models

FORMAT = 2
COMPRESS_LEVEL = 1  # fast: the file lives for hours, not years


def name_for(job):
    return f"imports/{job.created_at:%Y/%m}/{job.token}.checked.jsonl.gz"


def _json_value(value):
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


class Writer:
    """Write a job's checked rows to a temporary file; `commit()` moves it into place and
    returns its storage name. Used as a context manager (an error leaves nothing behind)."""

    def __init__(self, job):
        self.name = name_for(job)
        self.path = Path(default_storage.path(self.name))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.temporary = self.path.with_name(self.path.name + ".part")
        self.handle = gzip.open(  # noqa: SIM115 - closed by commit() or __exit__
            self.temporary, "wt", encoding="utf-8", compresslevel=COMPRESS_LEVEL
        )
        self.count = 0
        self._line({"format": FORMAT, "kind": job.kind})

    def _line(self, value):
        self.handle.write(json.dumps(value, ensure_ascii=False, separators=(",", ":")))
        self.handle.write("\n")

    def write(self, rows):
        """Add the valid rows of a checked chunk (one line holds a chunk's rows)."""
        chunk = []
        for row in rows:
            values = {}
            for name, value in row.values.items():
                if isinstance(value, models.Model):
                    values[f"{name}_id"] = value.pk
                else:
                    values[name] = _json_value(value)
            chunk.append([row.number, values])
        if chunk:
            self._line(chunk)
        self.count += len(chunk)

    def commit(self):
        self.handle.close()
        os.replace(self.temporary, self.path)
        return self.name

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self.handle.close()
            self.temporary.unlink(missing_ok=True)


def read(job, date_fields=()):
    """The stored rows as (row number, values), or None when the job has no usable file."""
    name = job.checked_rows.name if job.checked_rows else ""
    if not name or not default_storage.exists(name):
        return None
    handle = gzip.open(default_storage.path(name), "rt", encoding="utf-8")  # noqa: SIM115 - _rows closes it
    try:
        header = json.loads(handle.readline() or "null")
    except (ValueError, OSError, EOFError):
        handle.close()
        return None
    if not isinstance(header, dict) or header.get("format") != FORMAT or header.get("kind") != job.kind:
        handle.close()
        return None
    return _rows(handle, date_fields)


def _rows(handle, date_fields):
    with handle:
        for line in handle:
            for number, values in json.loads(line):
                for name in date_fields:
                    if values.get(name):
                        values[name] = dt.date.fromisoformat(values[name])
                yield number, values


def delete(name):
    """Remove a job's checked rows (once imported, or when the dry run is run again)."""
    if name:
        default_storage.delete(name)
