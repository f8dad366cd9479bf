import django_filters
from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext_lazy as _

from .models import AuditEvent, AuditLog
from .tables import Column
from .views import ObjectListView
from .visibility import get_scope


class AuditLogFilterSet(django_filters.FilterSet):
    event_type = django_filters.ChoiceFilter(choices=AuditEvent.choices, label=_("事件"))
    target_type = django_filters.ModelChoiceFilter(
        queryset=ContentType.objects.filter(app_label__in=["accounts", "enterprises", "institutions", "specialists"]),
        label=_("对象类型"),
    )
    actor = django_filters.CharFilter(field_name="actor_repr", lookup_expr="icontains", label=_("操作人"))
    since = django_filters.DateFilter(
        field_name="created_at",
        lookup_expr="date__gte",
        label=_("起始日期"),
        widget=django_filters.widgets.forms.DateInput(attrs={"type": "date"}),
    )
    until = django_filters.DateFilter(
        field_name="created_at",
        lookup_expr="date__lte",
        label=_("截止日期"),
        widget=django_filters.widgets.forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = AuditLog
        fields = ["event_type", "target_type", "actor", "since", "until"]


class AuditLogListView(ObjectListView):
    """Agency admins and auditors browse the audit log; nobody edits it."""

    model = AuditLog
    title = _("审计日志")
    filterset_class = AuditLogFilterSet
    search_fields = ("target_repr", "actor_repr")
    columns = (
        Column("created_at", _("时间"), sort="created_at", primary=True),
        Column("actor_repr", _("操作人"), sort="actor_repr"),
        Column("event_type", _("事件"), sort="event_type"),
        Column("target_type.name", _("对象类型")),
        Column("target_repr", _("对象")),
        Column("summary", _("内容")),
        Column("ip_address", _("来源地址")),
    )
    default_sort = ("-created_at", "-pk")
    export_name = "auditlog"

    def has_permission(self):
        return get_scope(self.request.user).sees_everything

    def get(self, request):
        # Contact values in the records are for the admin; the auditor reads them masked.
        if not get_scope(request.user).is_agency_admin:
            self.columns = tuple(
                Column("masked_summary", c.label) if c.accessor == "summary" else c for c in self.columns
            )
        return super().get(request)

    def get_queryset(self):
        return AuditLog.objects.visible_to_user(self.request.user).select_related("target_type")
