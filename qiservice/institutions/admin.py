from django.contrib import admin

from qiservice.core.admin import AuditedModelAdmin

from .models import Institution, ServiceItem


class ServiceItemInline(admin.TabularInline):
    model = ServiceItem
    extra = 0


@admin.register(Institution)
class InstitutionAdmin(AuditedModelAdmin):
    list_display = ("name", "kind", "district", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name",)
    inlines = [ServiceItemInline]
