"""Writing the audit log. Every rules function calls `record` inside its transaction."""

import contextvars
from datetime import date, datetime
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import models

from .models import AuditEvent, AuditLog

# Set by AuditContextMiddleware for the length of a request: (user, ip address).
request_context = contextvars.ContextVar("audit_request_context", default=(None, None))


PLAIN = frozenset((str, int, bool, float))


def snapshot(obj, exclude=()):
    """The stored values of an object's concrete fields, ready for JSON."""
    return _snapshot(obj._meta.concrete_fields, lambda f: getattr(obj, f.attname), exclude)


def snapshot_values(model, values, exclude=()):
    """`snapshot` of a row given as {attname: value} (a bulk insert's row, every field
    present): the same record the saved object would get."""
    return _snapshot(model._meta.concrete_fields, lambda f: values[f.attname], exclude)


def _snapshot(fields, get, exclude):
    data = {}
    for f in fields:
        if f.name in exclude or f.name in ("password",):
            continue
        value = get(f)
        if value is None or value.__class__ in PLAIN:
            data[f.name] = value
            continue
        if isinstance(value, (datetime, date)):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        elif hasattr(value, "name") and isinstance(f, models.FileField):
            value = value.name or ""
        data[f.name] = value
    return data


def diff(before, after):
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def record(event_type, target=None, *, actor=None, changes=None, extra=None, ip=None):
    ctx_user, ctx_ip = request_context.get()
    ip = ip or ctx_ip
    actor = actor if actor is not None else ctx_user
    if actor is not None and not actor.is_authenticated:
        actor = None
    return AuditLog.objects.create(
        event_type=event_type,
        actor=actor,
        actor_repr=str(actor)[:100] if actor else "",
        ip_address=ip,
        target_type=ContentType.objects.get_for_model(target) if target is not None else None,
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:200] if target is not None else "",
        changes=changes or {},
        extra=extra or {},
    )


def record_save(obj, before, *, actor=None, extra=None):
    """Record a create (before is None) or an update (only the changed fields)."""
    after = snapshot(obj)
    if before is None:
        return record(AuditEvent.CREATED, obj, actor=actor, changes=after, extra=extra)
    changes = diff(before, after)
    if not changes and not extra:
        return None
    return record(AuditEvent.UPDATED, obj, actor=actor, changes=changes, extra=extra)


def history(obj):
    """The audit records of one object, newest first."""
    return AuditLog.objects.filter(
        target_type=ContentType.objects.get_for_model(obj), target_id=str(obj.pk)
    ).select_related("actor")
