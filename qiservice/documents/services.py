"""Which official forms of a demand a user may download, building them, and the audited
download itself. The web views and the API call the same functions.

Who gets what: every form is for those who may see the demand (its data scope; outside it
is a 404). The work ledger (Appendix B) is the specialist's internal working record kept
for the agency's supervision and the performance assessment: it goes to the agency for
the demand's district, auditors, the assigned specialist and an institution that accepted
the demand (those who see the demand's internal records), not to the enterprise's users
nor an institution still deciding on a dispatch (403). The typical case follows the case
library's rules (a case still in review is not shown to the enterprise). The enterprise's
phone number, and the specialist's, are masked for those who may not read them in full
(qiservice/core/masking.py).
"""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from qiservice.core import audit
from qiservice.core.masking import can_see_contact
from qiservice.core.models import AuditEvent
from qiservice.demands.models import Demand
from qiservice.demands.transitions import hasattr_row

from . import content
from .content import BLANK_FORMS, FORMATS, FORMS


class MissingContent(Exception):
    """The form's content does not exist yet (no summary, no evaluation …): a 404 with
    this message, never an empty file."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def load(user, pk):
    """The demand through the user's data scope (Http404 outside it)."""
    Demand.objects.get_for(user, pk, "view")
    return (
        Demand.objects.select_related("enterprise", "district", "specialist", "registered_by")
        .prefetch_related("category_rows")
        .get(pk=pk)
    )


def _viewer(user, demand):
    from qiservice.demands.views.detail import Viewer

    return Viewer(user, demand)


def _case_for(user, demand):
    from qiservice.demands.views.cases import cases_for

    return cases_for(user).filter(demand=demand).first()


def may_download(user, demand, form, viewer=None):
    """Whether the user may have this form of a demand they can see (content aside)."""
    if form == "ledger":
        return (viewer or _viewer(user, demand)).sees_internal
    return form in FORMS


def build(user, demand, form):
    """The form's Document for this user. PermissionDenied when the user may not have it,
    MissingContent when it does not exist yet."""
    if form not in FORMS:
        raise MissingContent(_("没有这种表单。"))
    viewer = _viewer(user, demand)
    if not may_download(user, demand, form, viewer):
        raise PermissionDenied(_("工作台账是服务过程的内部工作记录，服务对象不能下载。"))
    sees_contact = viewer.sees_contact
    sees_specialist = can_see_contact(user, demand.specialist) if demand.specialist_id else True
    if form == "registration":
        return content.registration(demand, sees_contact=sees_contact)
    if form == "ledger":
        entries = list(demand.ledger_entries.select_related("corrects").order_by("entry_on", "created_at", "pk"))
        if not entries:
            raise MissingContent(_("该需求还没有工作台账记录。"))
        return content.ledger(demand, entries, sees_contact=sees_contact, sees_specialist=sees_specialist)
    if form == "evaluation":
        if not hasattr_row(demand, "evaluation"):
            raise MissingContent(_("该需求尚未收到满意度评价；如需纸质评价表，请下载空白评价表。"))
        return content.evaluation(demand, demand.evaluation, sees_contact=sees_contact)
    summary = demand.summary if hasattr_row(demand, "summary") else None
    if form == "summary":
        if summary is None:
            raise MissingContent(_("该需求尚未提交工作总结。"))
        return content.summary(demand, summary, sees_specialist=sees_specialist)
    case = _case_for(user, demand)
    if case is None:
        raise MissingContent(_("该需求没有可查看的典型案例。"))
    return content.typical_case(demand, case, summary)


def build_blank(form):
    if form == "registration":
        return content.registration()
    if form == "evaluation":
        return content.evaluation()
    raise MissingContent(_("该表单没有空白版。"))


def available(user, demand, viewer=None):
    """[(form, Chinese name)] of the forms that exist for this demand and that the user may
    download, for the demand page's menu (`viewer`: the page's, when it has one)."""
    names = content.form_names()
    viewer = viewer or _viewer(user, demand)
    exists = {
        "registration": True,
        "ledger": viewer.sees_internal and viewer.facts.has_ledger,
        "evaluation": hasattr_row(demand, "evaluation"),
        "summary": hasattr_row(demand, "summary"),
        # The demand page reads whether the user may open the demand's case with the demand.
        "case": demand.case_visible if hasattr(demand, "case_visible") else _case_for(user, demand) is not None,
    }
    return [(form, names[form]) for form in FORMS if exists[form]]


def render(document, fmt):
    if fmt == "docx":
        from .docx_forms import render_docx

        return render_docx(document)
    if fmt == "pdf":
        from .pdf_forms import render_pdf

        return render_pdf(document)
    raise MissingContent(_("不支持该文件格式，请选择 docx 或 pdf。"))


def download(user, demand, form, fmt, *, via="web"):
    """(bytes, file name, content type) of a demand's form; the download is audited."""
    if fmt not in FORMATS:
        raise MissingContent(_("不支持该文件格式，请选择 docx 或 pdf。"))
    document = build(user, demand, form)
    data = render(document, fmt)
    audit.record(
        AuditEvent.DOWNLOADED,
        demand,
        actor=user,
        extra={"document": form, "format": fmt, "via": via},
    )
    return data, document.filename(fmt), content.MIME_TYPES[fmt]


def download_blank(user, form, fmt, *, via="web"):
    if fmt not in FORMATS or form not in BLANK_FORMS:
        raise MissingContent(_("没有这种空白表单。"))
    document = build_blank(form)
    data = render(document, fmt)
    extra = {"document": f"blank {form}", "format": fmt, "via": via}
    audit.record(AuditEvent.DOWNLOADED, None, actor=user, extra=extra)
    return data, document.filename(fmt), content.MIME_TYPES[fmt]
