"""The audit log's tamper-evident chain (等保 2.0 audit integrity, issue 10).

Every AuditLog row carries `prev_hash`, the `row_hash` of the row before it, and its own
`row_hash`: an HMAC-SHA256 over its content and `prev_hash`, keyed by AUDIT_CHAIN_KEY (by
default derived from SECRET_KEY, which is not stored in the database). Changing, deleting
or reordering a row breaks the chain from that row on, and someone with write access to the
database alone cannot recompute it. `manage.py verify_audit_chain` walks it.

Rows are chained in primary-key order. Writers take a lock first so that the chain never
forks: on PostgreSQL a transaction-scoped advisory lock; on SQLite the IMMEDIATE
transaction already holds the database's single write lock.
"""

import datetime
import decimal
import hashlib
import hmac
import json
from dataclasses import dataclass

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection

ADVISORY_LOCK = 0x5141_0D17  # any constant shared by every writer of the chain


def lock():
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK])


def key():
    configured = getattr(settings, "AUDIT_CHAIN_KEY", "")
    material = configured or f"audit-chain:{settings.SECRET_KEY}"
    return hashlib.sha256(material.encode()).digest()


def normalise(value):
    """A JSON value as the database gives it back (dates as text, tuples as lists; NUL,
    which PostgreSQL's jsonb cannot hold, as U+FFFD)."""
    if _is_flat(value):  # the common case (a snapshot of plain fields): already so
        return dict(value)
    return _without_nul(json.loads(json.dumps(value, cls=DjangoJSONEncoder)))


FLAT_TYPES = frozenset((str, int, bool, type(None)))


def _is_flat(value, nul_matters=True):
    """A dict of text keys to text without NUL, whole numbers, booleans or None: what a
    round trip through JSON and the database gives back unchanged, and `canonical` leaves
    as it is. Subclasses (enum members, …) are not plain: they take the long way."""
    if type(value) is not dict:
        return False
    if not set(map(type, value.values())) <= FLAT_TYPES or not set(map(type, value)) <= {str}:
        return False
    if nul_matters:
        texts = [*value, *(item for item in value.values() if type(item) is str)]
        return "\x00" not in "".join(texts)
    return True


def _without_nul(value):
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value


def canonical(value):
    """Numbers as the database gives them back: PostgreSQL's jsonb keeps 1e20 as the integer
    100000000000000000000, so an integral float is hashed as that integer."""
    if isinstance(value, float) and value.is_integer():
        return int(decimal.Decimal(repr(value)))
    if _is_flat(value, nul_matters=False):
        return value
    if isinstance(value, dict):
        return {k: canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return [canonical(v) for v in value]
    return value


def payload(row):
    """The hashed content of a row (an AuditLog or a dict of its values)."""
    get = row.get if isinstance(row, dict) else lambda name: getattr(row, name)
    created_at = get("created_at")
    fields = [
        get("prev_hash") or "",
        created_at.isoformat(timespec="microseconds") if created_at else "",
        get("event_type"),
        get("actor_id"),
        get("actor_repr"),
        get("ip_address") or "",
        get("target_type_id"),
        get("target_id"),
        get("target_repr"),
        canonical(get("changes")),
        canonical(get("extra")),
    ]
    return json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)


def digest(row, secret=None):
    return hmac.new(secret or key(), payload(row).encode(), hashlib.sha256).hexdigest()


def head(model):
    """The row_hash of the last row (under the lock)."""
    return model.objects.order_by("-pk").values_list("row_hash", flat=True).first() or ""


def seal(rows, model):
    """Chain new, unsaved rows after the current head (the caller holds the lock). A row is
    an AuditLog, or a dict of its values by attname (the bulk path, `core.bulk`): a dict gets
    the model's defaults for what it lacks, so that it hashes what will be stored."""
    previous = head(model)
    secret = key()
    fields = None
    for row in rows:
        if isinstance(row, dict):
            if fields is None:
                fields = [f for f in model._meta.concrete_fields if not f.primary_key]
            for f in fields:
                if f.attname not in row:
                    row[f.attname] = f.get_default()
            row["changes"] = normalise(row["changes"] or {})
            row["extra"] = normalise(row["extra"] or {})
            row["actor_repr"] = _without_nul(row["actor_repr"] or "")
            row["target_repr"] = _without_nul(row["target_repr"] or "")
            row["created_at"] = row["created_at"].astimezone(datetime.UTC)
            row["prev_hash"] = previous
            row["row_hash"] = previous = digest(row, secret)
            continue
        row.changes = normalise(row.changes or {})
        row.extra = normalise(row.extra or {})
        row.actor_repr = _without_nul(row.actor_repr or "")
        row.target_repr = _without_nul(row.target_repr or "")
        row.created_at = row.created_at.astimezone(datetime.UTC)
        row.prev_hash = previous
        row.row_hash = digest(row, secret)
        previous = row.row_hash


@dataclass
class Verdict:
    checked: int
    broken_at: int | None = None  # the first row whose link or content does not hold
    reason: str = ""

    @property
    def ok(self):
        return self.broken_at is None


FIELDS = (
    "pk",
    "prev_hash",
    "row_hash",
    "created_at",
    "event_type",
    "actor_id",
    "actor_repr",
    "ip_address",
    "target_type_id",
    "target_id",
    "target_repr",
    "changes",
    "extra",
)


def verify(model, chunk=5000):
    """Walk the whole chain in primary-key order; stop at the first broken link."""
    secret = key()
    previous = ""
    checked = 0
    for row in model.objects.order_by("pk").values(*FIELDS).iterator(chunk_size=chunk):
        if row["prev_hash"] != previous:
            return Verdict(checked, row["pk"], "link")  # a row before it was removed, added or changed
        if not hmac.compare_digest(digest(row, secret), row["row_hash"]):
            return Verdict(checked, row["pk"], "content")  # this row was changed
        previous = row["row_hash"]
        checked += 1
    return Verdict(checked)
