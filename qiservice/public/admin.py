from django.contrib import admin

from qiservice.core.admin import AuditedModelAdmin

from .models import EnterpriseAccountRequest, Policy


@admin.register(Policy)
class PolicyAdmin(AuditedModelAdmin):
    list_display = ("title", "issuing_body", "document_number", "issued_on", "qi_field", "is_published")
    search_fields = ("title", "document_number")


@admin.register(EnterpriseAccountRequest)
class EnterpriseAccountRequestAdmin(AuditedModelAdmin):
    list_display = ("contact_name", "enterprise_name", "credit_code", "status", "created_at")
    list_filter = ("status",)
