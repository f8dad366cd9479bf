from django.utils.translation import gettext_lazy as _

from qiservice.core import audit
from qiservice.core.tables import Column
from qiservice.core.views import ObjectDetailView, ObjectEditView, ObjectListView
from qiservice.core.visibility import get_scope

from . import workflow
from .filtersets import EnterpriseFilterSet
from .forms import EnterpriseContactFormSet, EnterpriseForm
from .models import Enterprise


def may_create_enterprise(user):
    scope = get_scope(user)
    return scope.is_agency or scope.is_specialist


class EnterpriseListView(ObjectListView):
    model = Enterprise
    title = _("服务对象")
    filterset_class = EnterpriseFilterSet
    search_fields = ("name", "credit_code", "main_products")
    default_sort = ("name", "pk")
    create_url = "enterprises:create"
    columns = (
        Column("name", _("企业名称"), sort="name", link=True, primary=True),
        Column("credit_code", _("统一社会信用代码"), sort="credit_code"),
        Column("district", _("所在区"), sort="district__code"),
        Column("industry", _("所属行业"), sort="industry"),
        Column("size", _("企业规模"), sort="size"),
        Column("created_at", _("登记时间"), sort="created_at"),
    )

    def get_queryset(self):
        return super().get_queryset().select_related("district")

    def can_create(self):
        return may_create_enterprise(self.request.user)


class EnterpriseDetailView(ObjectDetailView):
    model = Enterprise
    template_name = "enterprises/enterprise_detail.html"
    audit_views = True

    def extra_context(self, obj):
        return {"contacts": obj.contacts.all(), "history": audit.history(obj)[:20]}


class EnterpriseEditView(ObjectEditView):
    model = Enterprise
    form_class = EnterpriseForm
    title_create = _("登记服务对象")
    title_edit = _("编辑服务对象")

    def may_create(self):
        return may_create_enterprise(self.request.user)

    def get_formsets(self, obj, data=None):
        return {"contacts": EnterpriseContactFormSet(data=data, instance=obj, prefix="contacts")}

    def save(self, form, formsets):
        contacts = [
            f.save(commit=False)
            for f in formsets["contacts"].forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE") and (f.has_changed() or f.instance.pk)
        ]
        return workflow.save_enterprise(
            form.save(commit=False),
            by=self.request.user,
            contacts=contacts,
            expected_updated_at=form.expected_updated_at,
        )
