"""Access matrix rows of the Excel exports, the export jobs and the two list pages the
exports app adds (the work ledger and the satisfaction evaluations).

Every export holds only what its list shows the user, so every role who may open a list
may export it (an empty file when they see nothing); the audit log is for agency admins and
auditors only. {export_job} is a finished job of the admin's: nobody else may see it (404).
{ledger_demand} is a demand of 集美 registered by 王建华."""

from .common import api_table, table

OWNER_ONLY = table(404, admin=200)

UI = [
    ("GET", "/exports/ledger/", table(200)),
    ("GET", "/exports/evaluations/", table(200)),
    ("GET", "/exports/jobs/", table(200)),
    ("GET", "/exports/jobs/{export_job}/", OWNER_ONLY),
    ("GET", "/exports/jobs/{export_job}/file/", OWNER_ONLY),
    ("GET", "/exports/{export_demands}.xlsx", table(200)),
    ("GET", "/exports/{export_enterprises}.xlsx", table(200)),
    ("GET", "/exports/{export_specialists}.xlsx", table(200)),
    ("GET", "/exports/{export_evaluations}.xlsx", table(200)),
    ("GET", "/exports/{export_ledger}.xlsx", table(200)),
    ("GET", "/exports/{export_auditlog}.xlsx", table(403, admin=200, auditor=200)),
    # One demand's ledger (Appendix B): those who see the demand's internal records; the
    # enterprise's user sees the demand but not its ledger (403).
    (
        "GET",
        "/exports/{export_ledger_demand}.xlsx?demand={ledger_demand}",
        table(404, admin=200, officer_jimei=200, specialist=200, enterprise_user=403, auditor=200),
    ),
    ("GET", "/exports/{export_unknown}.xlsx", table(404)),
    # A large export is queued by a POST (the confirmation page's button).
    ("POST", "/exports/{export_demands}.xlsx", table(302)),
    ("POST", "/exports/{export_auditlog}.xlsx", table(403, admin=302, auditor=302)),
]

API = [
    ("GET", "/api/exports/{export_demands}", api_table(200)),
    ("GET", "/api/exports/{export_auditlog}", api_table(403, admin=200, auditor=200)),
    ("GET", "/api/exports/{export_unknown}", api_table(404)),
    ("GET", "/api/exports/jobs/{export_job}", api_table(404, admin=200)),
    ("GET", "/api/exports/jobs/{export_job}/file", api_table(404, admin=200)),
]


def objects(world):
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from qiservice.demands import workflow
    from qiservice.exports.choices import ExportStatus
    from qiservice.exports.models import ExportJob

    demand = workflow.register_demand(
        by=world.people.specialist,
        enterprise=world.ent_jimei,
        categories=["metrology"],
        source="onsite",
        contact_name="张经理",
        contact_phone="13800001111",
        description="台账导出的需求",
    )
    job = ExportJob.objects.create(
        owner=world.people.admin,
        export_name="demands",
        status=ExportStatus.DONE,
        rows_total=1,
        rows_done=1,
        finished_at=timezone.now(),
        expires_at=timezone.now() + timezone.timedelta(days=7),
    )
    job.file.save(f"exports/{world.people.admin.pk}/matrix.xlsx", ContentFile(b"PK\x03\x04"), save=True)
    names = ("demands", "enterprises", "specialists", "evaluations", "ledger", "ledger_demand", "auditlog")
    return {
        "export_job": job.pk,
        "ledger_demand": demand.pk,
        "export_unknown": "no-such-export",
        **{f"export_{name}": name for name in names},
    }
