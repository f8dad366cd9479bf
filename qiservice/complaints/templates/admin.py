from django.contrib import admin

from qiservice.core.admin import AuditedModelAdmin

from .models import Complaint


@admin.register(Complaint)
class ComplaintAdmin(AuditedModelAdmin):
    list_display = ("number", "subject", "enterprise", "status", "due_on", "upheld")
    list_filter = ("status", "upheld")
    readonly_fields = ("number",)
