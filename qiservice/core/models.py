from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .visibility import get_scope


class RestrictedQuerySet(models.QuerySet):
    """A queryset that knows which rows a user may see or change.

    Subclasses implement ``visible_to(scope, action)``; ``action`` is "view" or "change".
    """

    def restrict(self, user, action="view"):
        scope = get_scope(user)
        if not scope.is_authenticated:
            return self.none()
        if action not in ("view", "change"):
            raise ValueError(f"unknown action {action!r}")
        return self.visible_to(scope, action)

    def visible_to(self, scope, action):  # pragma: no cover - every subclass overrides it
        raise NotImplementedError

    def get_for(self, user, pk, action="view"):
        """The row if `user` may act on it: Http404 when it is outside their view scope
        (its existence is not revealed), PermissionDenied when they may see it but not do
        this to it. Views and API endpoints look objects up through this."""
        try:
            obj = self.restrict(user, action).filter(pk=pk).first()
        except (ValueError, TypeError, OverflowError):  # OverflowError: beyond SQLite's 64 bits
            obj = None
        if obj is None:
            if action != "view" and self.restrict(user, "view").filter(pk=pk).exists():
                raise PermissionDenied
            raise Http404
        return obj


class AuditEvent(models.TextChoices):
    CREATED = "created", _("新建")
    UPDATED = "updated", _("修改")
    DELETED = "deleted", _("删除")
    VIEWED = "viewed", _("查看")
    EXPORTED = "exported", _("导出")
    DOWNLOADED = "downloaded", _("下载")
    TRANSITION = "transition", _("状态变更")
    LOGIN = "login", _("登录")
    LOGIN_FAILED = "login_failed", _("登录失败")
    LOGOUT = "logout", _("退出登录")
    TOKEN_CREATED = "token_created", _("创建令牌")
    TOKEN_REVOKED = "token_revoked", _("撤销令牌")
    ACCOUNT_LOCKED = "account_locked", _("登录锁定")
    ACCOUNT_UNLOCKED = "account_unlocked", _("解除锁定")
    PASSWORD_CHANGED = "password_changed", _("修改密码")
    TOTP_ENABLED = "totp_enabled", _("启用双因素认证")
    TOTP_DISABLED = "totp_disabled", _("停用双因素认证")
    TOTP_RESET = "totp_reset", _("重置双因素认证")


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("the audit log is append-only")

    def delete(self):
        raise PermissionError("the audit log is append-only")

    def bulk_create(self, objs, *args, **kwargs):
        """Rows written in bulk join the chain in their order, under the chain's lock."""
        from . import audit_chain

        objs = list(objs)
        with transaction.atomic():
            audit_chain.lock()
            audit_chain.seal(objs, self.model)
            return super().bulk_create(objs, *args, **kwargs)

    def insert_values(self, rows):
        """`bulk_create` for many rows given as dicts of values by attname (`core.bulk`):
        chained the same way, several times faster, no instances and no ids back."""
        from . import audit_chain, bulk

        rows = list(rows)
        with transaction.atomic():
            audit_chain.lock()
            audit_chain.seal(rows, self.model)
            return bulk.insert_values(self.model, rows, using=self.db)

    def visible_to_user(self, user):
        scope = get_scope(user)
        return self if scope.sees_everything else self.none()


class AuditLog(models.Model):
    """One append-only record of something done on the platform (R6.2, 等保 audit).

    event_type   what happened (AuditEvent).
    created_at   when, in UTC (shown in Asia/Shanghai).
    actor        the user who did it; null for the system or an anonymous visitor.
    actor_repr   the actor's name at the time, kept if the account is renamed.
    ip_address   where the request came from (REMOTE_ADDR), null outside a request.
    target_type  the kind of object acted on; with target_id and target_repr names it.
    changes      for updates, {"field": [before, after]}; for creates the values set.
    extra        anything else worth keeping (the filter of an export, a reason, …).
    prev_hash    the row_hash of the row before this one (core/audit_chain.py).
    row_hash     HMAC-SHA256 of this row's content and prev_hash: the tamper-evident chain.

    Rows are never updated or deleted by the application (the model and queryset
    refuse it, and on PostgreSQL a trigger refuses it for any client).
    """

    event_type = models.CharField(_("事件"), max_length=20, choices=AuditEvent.choices)
    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("操作人")
    )
    actor_repr = models.CharField(_("操作人"), max_length=100, blank=True)
    ip_address = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    target_type = models.ForeignKey(
        ContentType, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("对象类型")
    )
    target_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    target_repr = models.CharField(_("对象"), max_length=200, blank=True)
    changes = models.JSONField(_("变更内容"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    extra = models.JSONField(_("附加信息"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    prev_hash = models.CharField(_("前一条记录摘要"), max_length=64, blank=True, editable=False)
    row_hash = models.CharField(_("记录摘要"), max_length=64, blank=True, editable=False)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["target_type", "target_id", "created_at"], name="audit_target_time"),
            models.Index(fields=["actor", "created_at"], name="audit_actor_time"),
        ]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_repr} {self.get_event_type_display()} {self.target_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("the audit log is append-only")
        from . import audit_chain

        with transaction.atomic():
            audit_chain.lock()
            audit_chain.seal([self], type(self))
            super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("the audit log is append-only")

    @property
    def summary(self):
        """A short line of what changed, for the list page."""
        return self.summary_for(full_contacts=True)

    @property
    def masked_summary(self):
        """The same line with phone numbers and e-mail addresses masked (R6.2)."""
        return self.summary_for(full_contacts=False)

    def summary_for(self, full_contacts):
        from .masking import mask_changes

        parts = []
        if self.event_type == AuditEvent.CREATED:
            return ""
        changes = self.changes if full_contacts else mask_changes(self.changes)
        for name, value in (changes or {}).items():
            if isinstance(value, list) and len(value) == 2 and self.event_type == AuditEvent.UPDATED:
                parts.append(f"{name}: {value[0]} → {value[1]}")
            else:
                parts.append(f"{name}: {value}")
        parts += [f"{k}: {v}" for k, v in (self.extra or {}).items()]
        text = "；".join(parts)
        return text if len(text) <= 120 else text[:119] + "…"
