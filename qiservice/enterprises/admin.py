from django.contrib import admin

from qiservice.core.admin import AuditedModelAdmin

from .models import Enterprise, EnterpriseContact


class ContactInline(admin.TabularInline):
    model = EnterpriseContact
    extra = 0


@admin.register(Enterprise)
class EnterpriseAdmin(AuditedModelAdmin):
    list_display = ("name", "credit_code", "district", "industry", "size")
    list_filter = ("district", "industry", "size")
    search_fields = ("name", "credit_code")
    inlines = [ContactInline]
    raw_id_fields = ("profile_verified_by", "created_by")
