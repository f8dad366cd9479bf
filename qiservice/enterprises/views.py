from django.core.paginator import Paginator
from django.utils.translation import gettext_lazy as _

from qiservice.core import audit
from qiservice.core.masking import annotate_contact, can_see_contact
from qiservice.core.tables import Column, ContactColumn
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
    export_name = "enterprises"
    columns = (
        Column("name", _("企业名称"), sort="name", link=True, primary=True),
        Column("credit_code", _("统一社会信用代码"), sort="credit_code"),
        Column("district", _("所在区"), sort="district__code"),
        Column("industry", _("所属行业"), sort="industry"),
        Column("size", _("企业规模"), sort="size"),
        Column("contact_name", _("联系人")),
        ContactColumn("contact_phone", _("联系电话")),
        Column("created_at", _("登记时间"), sort="created_at"),
    )

    def get_queryset(self):
        return annotate_contact(super().get_queryset(), self.request.user)

    def display_queryset(self, queryset):
        # Only what the columns show (an enterprise's profile is a dozen long text columns).
        return queryset.select_related("district").only(*(c.accessor for c in self.columns), "district__name")

    def can_create(self):
        return may_create_enterprise(self.request.user)


FILE_PAGE_SIZE = 10


def enterprise_file(user, enterprise, page_number=None):
    """一企一档: the enterprise's demands the user may see, newest first, each with its
    ledger entries, agreements, summary and evaluation (newest first). A page of demands
    costs a fixed number of queries, however many records they hold."""
    from django.db.models import Count, Prefetch, Q
    from django.utils.timezone import localdate

    from qiservice.demands.models import Agreement, Demand, LedgerEntry
    from qiservice.demands.timeline import internal_demands
    from qiservice.demands.transitions import hasattr_row

    demands = Demand.objects.restrict(user).filter(enterprise=enterprise)
    # The ledger is an internal working record: shown only on the demands whose internal
    # records the user reads (not to the enterprise's own users). Those of this enterprise
    # only: a subquery over every demand (or every ledger row) the user reads took seconds
    # at city scale (issue 9).
    internal = internal_demands(user).filter(enterprise=enterprise)
    ledger = LedgerEntry.objects.filter(demand_id__in=internal)
    totals = demands.aggregate(
        demands=Count("pk", distinct=True),
        ledger=Count("ledger_entries", filter=Q(pk__in=internal), distinct=True),
        agreements=Count("agreements", distinct=True),
        summaries=Count("summary", distinct=True),
        evaluations=Count("evaluation", distinct=True),
    )
    rows = (
        demands.select_related("specialist", "special_task", "summary__submitted_by", "evaluation")
        .prefetch_related(
            "category_rows",
            Prefetch("ledger_entries", ledger.select_related("author")),
            Prefetch("agreements", Agreement.objects.select_related("institution")),
        )
        .order_by("-registered_at", "-pk")
    )
    paginator = Paginator(rows, FILE_PAGE_SIZE)
    paginator.count = totals["demands"]  # counted above: not a second COUNT (a cached_property)
    page = paginator.get_page(page_number)
    for demand in page:
        records = [("ledger", e.entry_on, e.created_at, e) for e in demand.ledger_entries.all()]
        records += [("agreement", a.signed_on, a.created_at, a) for a in demand.agreements.all()]
        if hasattr_row(demand, "summary"):
            s = demand.summary
            records.append(("summary", localdate(s.submitted_at), s.submitted_at, s))
        if hasattr_row(demand, "evaluation"):
            e = demand.evaluation
            records.append(("evaluation", localdate(e.submitted_at), e.submitted_at, e))
        records.sort(key=lambda r: (r[1], r[2]), reverse=True)
        demand.file_records = [{"kind": kind, "on": on, "obj": obj} for kind, on, _at, obj in records]
    return {"page": page, "totals": totals}


class EnterpriseDetailView(ObjectDetailView):
    model = Enterprise
    template_name = "enterprises/enterprise_detail.html"
    audit_views = True

    def get_object(self, pk, action=None):
        # The page names its district and who verified it: in the same query.
        queryset = Enterprise.objects.select_related("district", "profile_verified_by")
        return queryset.get_for(self.request.user, pk, action or self.action)

    def extra_context(self, obj):
        return {
            "sees_contact": can_see_contact(self.request.user, obj),
            "contacts": obj.contacts.all(),
            "history": audit.history(obj)[:20],
            "file": enterprise_file(self.request.user, obj, self.request.GET.get("file_page")),
        }


class EnterpriseEditView(ObjectEditView):
    model = Enterprise
    form_class = EnterpriseForm
    audit_views = True
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
