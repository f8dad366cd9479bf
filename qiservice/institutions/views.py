from django.utils.translation import gettext_lazy as _

from qiservice.core.tables import Column
from qiservice.core.views import ObjectDetailView, ObjectEditView, ObjectListView
from qiservice.core.visibility import get_scope

from . import workflow
from .filtersets import InstitutionFilterSet
from .forms import InstitutionForm, ServiceItemFormSet
from .models import Institution


class InstitutionListView(ObjectListView):
    model = Institution
    title = _("技术机构")
    filterset_class = InstitutionFilterSet
    search_fields = ("name", "short_name", "description", "service_items__name")
    default_sort = ("name", "pk")
    create_url = "institutions:create"
    columns = (
        Column("name", _("机构名称"), sort="name", link=True, primary=True),
        Column("kind", _("机构类型"), sort="kind"),
        Column("qi_field_labels", _("服务领域")),
        Column("district", _("所在区"), sort="district__code"),
        Column("contact_name", _("联系人")),
    )

    def get_queryset(self):
        return super().get_queryset().select_related("district")

    def filter_queryset(self, queryset):
        queryset, filterset = super().filter_queryset(queryset)
        return queryset.distinct(), filterset

    def can_create(self):
        return get_scope(self.request.user).is_agency_admin


class InstitutionDetailView(ObjectDetailView):
    model = Institution
    template_name = "institutions/institution_detail.html"

    def extra_context(self, obj):
        return {"service_items": obj.service_items.all()}


class InstitutionEditView(ObjectEditView):
    model = Institution
    form_class = InstitutionForm
    title_create = _("新增技术机构")
    title_edit = _("编辑技术机构")

    def may_create(self):
        return get_scope(self.request.user).is_agency_admin

    def get_formsets(self, obj, data=None):
        return {"service_items": ServiceItemFormSet(data=data, instance=obj, prefix="items")}

    def save(self, form, formsets):
        items = formsets["service_items"]
        deleted = [f.instance for f in items.forms if f.cleaned_data.get("DELETE") and f.instance.pk]
        kept = [
            f.save(commit=False)
            for f in items.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE") and (f.has_changed() or f.instance.pk)
        ]
        return workflow.save_institution(
            form.save(commit=False),
            by=self.request.user,
            service_items=kept,
            deleted_items=deleted,
            expected_updated_at=form.expected_updated_at,
        )
