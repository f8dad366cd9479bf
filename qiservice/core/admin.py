from django.contrib import admin

from . import audit
from .models import AuditLog


class AuditedModelAdmin(admin.ModelAdmin):
    """Back-office corrections in the Django admin are audited like any other write."""

    def save_model(self, request, obj, form, change):
        before = None
        if change:
            stored = type(obj)._default_manager.filter(pk=obj.pk).first()
            before = audit.snapshot(stored) if stored else None
        super().save_model(request, obj, form, change)
        audit.record_save(obj, before, actor=request.user, extra={"via": "admin"})

    def delete_model(self, request, obj):
        audit.record(audit.AuditEvent.DELETED, obj, actor=request.user, changes=audit.snapshot(obj))
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            audit.record(audit.AuditEvent.DELETED, obj, actor=request.user, changes=audit.snapshot(obj))
        super().delete_queryset(request, queryset)


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ("created_at", "actor_repr", "event_type", "target_type", "target_repr", "ip_address")
    list_filter = ("event_type", "target_type")
    search_fields = ("actor_repr", "target_repr")
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
