from django.contrib import admin

from qiservice.core.admin import AuditedModelAdmin

from .models import Message


@admin.register(Message)
class MessageAdmin(AuditedModelAdmin):
    list_display = ["demand", "side", "author", "created_at", "read_at"]
    list_filter = ["side"]
    search_fields = ["demand__number", "text"]
    raw_id_fields = ["demand", "author"]
    readonly_fields = ["created_at"]
