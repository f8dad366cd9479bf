"""Helpers shared by the apps' rules functions (each app's ``workflow.py``)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from . import audit


class StaleObjectError(ValidationError):
    """The row changed since the user loaded it: their edit is refused, not merged."""


def save_audited(obj, *, by, expected_updated_at=None, extra=None):
    """Save `obj` and append the create/update to the audit log.

    Call inside the caller's transaction. For an update the stored row is locked and
    re-read: the audit log records what really changed, and if `expected_updated_at` is
    given and the row was saved by someone else since, nothing is saved.
    """
    before = None
    if obj.pk is not None:
        stored = type(obj)._default_manager.select_for_update().filter(pk=obj.pk).first()
        if stored is not None:
            if expected_updated_at is not None and getattr(stored, "updated_at", None) != expected_updated_at:
                raise StaleObjectError(
                    _("该记录已被%(who)s修改，请刷新页面查看最新内容后再提交。") % {"who": _("其他人")},
                    code="stale",
                )
            before = audit.snapshot(stored)
    obj.save()
    audit.record_save(obj, before, actor=by, extra=extra)
    return obj
