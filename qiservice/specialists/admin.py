from django.contrib import admin

from qiservice.core.admin import AuditedModelAdmin

from .models import Specialist, SpecialistField, SpecialistStatusChange


class FieldInline(admin.TabularInline):
    model = SpecialistField
    extra = 0


class StatusChangeInline(admin.TabularInline):
    model = SpecialistStatusChange
    extra = 0
    readonly_fields = ("from_status", "to_status", "reason", "changed_at", "changed_by")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Specialist)
class SpecialistAdmin(AuditedModelAdmin):
    list_display = ("name", "district", "status", "capacity")
    list_filter = ("status", "district")
    search_fields = ("name", "employer")
    raw_id_fields = ("user",)
    inlines = [FieldInline, StatusChangeInline]
