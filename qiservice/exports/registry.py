"""Every Excel export by name: where its rows come from and which columns it has.

An export of a list page builds its queryset through that page's own view class —
the same data scope (`restrict(user)`), filterset, keyword search and sort — so the
file holds exactly the rows the page shows. The columns are read with `values_list()`
in chunks; related multi-valued cells (a demand's categories) are fetched per chunk.
"""

from dataclasses import dataclass, field
from types import SimpleNamespace

from django.core.exceptions import PermissionDenied
from django.http import Http404, QueryDict
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from qiservice.core.masking import mask_changes

from .columns import DATE, INT, TEXT, Column, to_json_text

# Parameters that are not filters (the page of the list, the export's own switches).
NOT_FILTERS = ("page", "format")


class InvalidFilters(Exception):
    """The query string does not validate against the list's filterset."""

    def __init__(self, errors):
        super().__init__(errors)
        self.errors = errors


@dataclass
class Export:
    name: str
    title: object
    model: str  # "app_label.Model": binds the columns' headers and types
    columns: list
    build: object  # function(user, params: QueryDict) -> the scoped, filtered, sorted queryset
    list_url: str | None = None  # URL name of the list page the export mirrors
    header_block: object = None  # function(user, params) -> [(label, value)] above the table
    _bound: bool = field(default=False, repr=False)

    def bound_columns(self):
        if not self._bound:
            from django.apps import apps

            model = apps.get_model(self.model)
            for column in self.columns:
                column.bind(model)
            self._bound = True
        return self.columns

    def queryset(self, user, params):
        return self.build(user, params)


REGISTRY: dict[str, Export] = {}


def register(export):
    REGISTRY[export.name] = export
    return export


def get_export(name):
    try:
        return REGISTRY[name]
    except KeyError:
        raise Http404(name) from None


class ExportRequest(SimpleNamespace):
    """What a list view's filter code reads from a request (the user and the query), so
    a background job rebuilds the same queryset without an HTTP request."""

    htmx = None


def params_to_dict(params):
    """A QueryDict as plain JSON (every value a list), without the page number."""
    return {k: v for k, v in params.lists() if k not in NOT_FILTERS and any(x != "" for x in v)}


def dict_to_params(data):
    params = QueryDict(mutable=True)
    for key, values in (data or {}).items():
        params.setlist(key, [str(v) for v in (values if isinstance(values, list) else [values])])
    return params


def from_list_view(view_path):
    """A builder that runs a list view's own scope, filters, search and sort."""

    def build(user, params):
        view = import_string(view_path)()
        view.request = ExportRequest(user=user, GET=params, method="GET")
        view.args, view.kwargs = (), {}
        if not view.has_permission():
            raise PermissionDenied
        queryset, filterset = view.filter_queryset(view.get_queryset())
        if filterset is not None and not filterset.is_valid():
            raise InvalidFilters(filterset.errors)
        queryset, _sort = view.sort_queryset(queryset)
        # values_list() below reads plain columns: no instances, no prefetching.
        return queryset.prefetch_related(None).select_related(None)

    return build


# --- multi-valued cells, one query per chunk ---------------------------------------------------


def demand_categories(pks):
    from qiservice.core.choices import QIField
    from qiservice.demands.models import DemandCategory

    order = {v: i for i, v in enumerate(QIField.values)}
    labels = {value: str(label) for value, label in QIField.choices}
    found = {}
    for demand_id, category in DemandCategory.objects.filter(demand_id__in=pks).values_list("demand_id", "category"):
        found.setdefault(demand_id, []).append(category)
    return {pk: "、".join(labels[c] for c in sorted(cs, key=order.get)) for pk, cs in found.items()}


def specialist_fields(pks):
    from qiservice.core.choices import QIField
    from qiservice.specialists.models import SpecialistField

    labels = {value: str(label) for value, label in QIField.choices}
    found = {}
    rows = SpecialistField.objects.filter(specialist_id__in=pks).values_list("specialist_id", "field")
    for specialist_id, value in rows.order_by("specialist_id", "pk"):
        found.setdefault(specialist_id, []).append(labels.get(value, value))
    return {pk: "、".join(values) for pk, values in found.items()}


def content_type_name(pk):
    from django.contrib.contenttypes.models import ContentType

    return str(ContentType.objects.get_for_id(pk).name) if pk else ""


# --- the exports ---------------------------------------------------------------------------------

register(
    Export(
        name="demands",
        title=_("服务需求"),
        model="demands.Demand",
        list_url="demands:list",
        build=from_list_view("qiservice.demands.views.lists.DemandListView"),
        columns=[
            Column("number", width=14),
            Column("enterprise__name", _("服务对象"), width=30),
            Column("enterprise__credit_code", _("统一社会信用代码"), width=20),
            Column("district__name", _("所在区"), width=10),
            Column("address", width=30),
            Column(demand_categories, _("需求类别"), batch=True, width=24),
            Column("source", width=8),
            Column("contact_name", width=10),
            Column("contact_phone", width=15, sensitive=True),
            Column("contact_email", width=22, sensitive=True),
            Column("description", width=50),
            Column("collected_on"),
            Column("registered_on", _("登记日期")),
            Column("registered_at"),
            Column("registered_by__name", _("填表人"), width=10),
            Column("status", width=14),
            Column("service_mode", width=10),
            Column("specialist__name", _("服务专员"), width=10),
            Column("special_task__title", _("专项服务任务"), width=20),
            Column("service_ended_at"),
            Column("closed_at"),
        ],
    )
)

register(
    Export(
        name="enterprises",
        title=_("服务对象"),
        model="enterprises.Enterprise",
        list_url="enterprises:list",
        build=from_list_view("qiservice.enterprises.views.EnterpriseListView"),
        columns=[
            Column("name", width=30),
            Column("credit_code", width=20),
            Column("district__name", _("所在区"), width=10),
            Column("address", width=30),
            Column("industry", width=24),
            Column("size", width=10),
            Column("main_products", width=30),
            Column("contact_name", width=10),
            Column("contact_phone", width=15, sensitive=True),
            Column("contact_email", width=22, sensitive=True),
            Column("profile_verified_at"),
            Column("created_at"),
        ],
    )
)

register(
    Export(
        name="specialists",
        title=_("服务专员库"),
        model="specialists.Specialist",
        list_url="specialists:list",
        build=from_list_view("qiservice.specialists.views.SpecialistListView"),
        columns=[
            Column("name", width=10),
            Column("district__name", _("所属区"), width=10),
            Column("phone", width=15, sensitive=True),
            Column("email", width=22, sensitive=True),
            Column("employer", width=24),
            Column("title", width=14),
            Column(specialist_fields, _("专业领域"), batch=True, width=24),
            Column("expertise", width=40),
            Column("capacity"),
            Column("status", width=10),
            Column("admission_route", width=12),
            Column("admitted_on"),
            Column("term_ends_on"),
        ],
    )
)

register(
    Export(
        name="evaluations",
        title=_("满意度评价"),
        model="evaluations.Evaluation",
        list_url="exports:evaluation_list",
        build=from_list_view("qiservice.exports.lists.EvaluationListView"),
        columns=[
            Column("demand__number", _("需求编号"), width=14),
            Column("demand__enterprise__name", _("服务对象"), width=30),
            Column("demand__district__name", _("所在区"), width=10),
            Column("specialist__name", _("服务专员"), width=10),
            Column("conduct", type=INT),
            Column("attitude", type=INT),
            Column("competence", type=INT),
            Column("timeliness", type=INT),
            Column("result", type=INT),
            Column("total"),
            Column("suggestions", width=30),
            Column("remarks", width=20),
            Column("evaluator_name", width=10),
            Column("channel", width=10),
            Column("submitted_at"),
        ],
    )
)

LEDGER_COLUMNS = [
    Column("demand__number", _("需求编号"), width=14),
    Column("demand__enterprise__name", _("服务对象"), width=30),
    Column(demand_categories, _("服务事项"), batch=True, key="demand_id", width=20),
    Column("demand__contact_name", _("联系人"), width=10),
    Column("demand__contact_phone", _("联系电话"), width=15, sensitive="demand"),
    Column("demand__specialist__name", _("服务专员"), width=10),
    Column("demand__specialist__phone", _("服务专员联系电话"), width=15, sensitive="demand__specialist"),
    Column("entry_on"),
    Column("enterprise_contact", width=14),
    Column("problem", width=40),
    Column("handling", _("处理过程（简要描述运用哪些技术服务手段处理问题）"), width=50),
    Column("remarks", width=20),
    Column("corrects_id", _("更正的记录"), type=INT),
    Column("author__name", _("记录人"), width=10),
    Column("created_at"),
]

register(
    Export(
        name="ledger",
        title=_("工作台账"),
        model="demands.LedgerEntry",
        list_url="exports:ledger_list",
        build=from_list_view("qiservice.exports.lists.LedgerListView"),
        columns=LEDGER_COLUMNS,
    )
)


def _ledger_demand(user, params):
    """The demand of a one-demand ledger: in the user's scope (404), and one whose internal
    records they read (403: the ledger is not for the enterprise's users)."""
    from qiservice.core.visibility import get_scope
    from qiservice.demands import timeline
    from qiservice.demands import transitions as T
    from qiservice.demands.models import Demand

    demand = Demand.objects.get_for(user, params.get("demand"))
    if not timeline.sees_internal(get_scope(user), demand, T.Facts.of(demand)):
        raise PermissionDenied(_("工作台账是服务过程的内部工作记录，服务对象不能下载。"))
    return demand


def one_demand_ledger(user, params):
    from qiservice.demands.models import LedgerEntry

    demand = _ledger_demand(user, params)
    return LedgerEntry.objects.filter(demand=demand).order_by("entry_on", "created_at", "pk")


def one_demand_header(user, params):
    """Appendix B's header: 服务对象 · 服务事项 · 联系人 · 联系电话 · 服务专员 · 联系电话."""
    from qiservice.demands.models import Demand

    demand = Demand.objects.select_related("enterprise", "specialist").get(pk=_ledger_demand(user, params).pk)
    specialist = demand.specialist
    # A contact line names its object: the writer masks it unless the user may read it.
    return [
        (_("服务对象"), demand.enterprise.name),
        (_("服务事项"), demand.service_matter),
        (_("联系人"), demand.contact_name),
        (_("联系电话"), demand.contact_phone, demand),
        (_("服务专员"), specialist.name if specialist else ""),
        (_("联系电话"), specialist.phone if specialist else "", specialist),
    ]


register(
    Export(
        name="ledger_demand",
        title=_("工作台账"),
        model="demands.LedgerEntry",
        build=one_demand_ledger,
        header_block=one_demand_header,
        columns=[
            Column("entry_on"),
            Column("enterprise_contact", width=16),
            Column("problem", width=40),
            Column("handling", _("处理过程（简要描述运用哪些技术服务手段处理问题）"), width=60),
            Column("remarks", width=24),
        ],
    )
)

register(
    Export(
        name="auditlog",
        title=_("审计日志"),
        model="core.AuditLog",
        list_url="auditlog",
        build=from_list_view("qiservice.core.audit_views.AuditLogListView"),
        columns=[
            Column("created_at"),
            Column("actor_repr", width=12),
            Column("event_type", width=10),
            Column("target_type_id", _("对象类型"), type=TEXT, convert=content_type_name, width=14),
            Column("target_id", width=10),
            Column("target_repr", width=30),
            Column("changes", type=TEXT, convert=to_json_text, width=50, sensitive=True, mask=mask_changes),
            Column("extra", type=TEXT, convert=to_json_text, width=40),
            Column("ip_address", width=16),
        ],
    )
)

__all__ = ["DATE", "REGISTRY", "Export", "InvalidFilters", "get_export"]
