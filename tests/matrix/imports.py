"""Access matrix rows of the Excel import.

Agency staff import (the admin into every district, district staff into their own); the
auditor reads every import but changes nothing; everybody else is refused (403 on the
pages and the templates, which hold no business data). {import_job} is a checked file of
集美's officer: only its owner imports it (the admin and the auditor read it: 403 to
import); other people do not see it (404)."""

from .common import api_table, table

STAFF = {"admin": 200, "officer_jimei": 200, "officer_siming": 200}
READERS = {"admin": 200, "officer_jimei": 200, "auditor": 200}

UI = [
    ("GET", "/imports/", table(403, **STAFF, auditor=200)),
    ("GET", "/imports/templates/{import_kind}.xlsx", table(403, **STAFF, auditor=200)),
    # No file sent: staff get the start page again with the message.
    ("POST", "/imports/{import_kind}/upload/", table(403, **STAFF)),
    ("GET", "/imports/jobs/{import_job}/", table(404, **READERS)),
    ("GET", "/imports/jobs/{import_job}/progress/", table(404, **READERS)),
    ("GET", "/imports/jobs/{import_job}/report.xlsx", table(404, **READERS)),
    (
        "POST",
        "/imports/jobs/{import_job}/commit/",
        table(404, admin=403, officer_jimei=302, auditor=403),
        {"mode": "valid_only"},
    ),
]

API = [
    ("GET", "/api/imports/templates/{import_kind}", api_table(403, **STAFF, auditor=200)),
    # No file sent: 422 for staff, after the permission check.
    ("POST", "/api/imports/{import_kind}", api_table(403, admin=422, officer_jimei=422, officer_siming=422)),
    ("GET", "/api/imports/jobs/{import_job}", api_table(404, **READERS)),
    (
        "POST",
        "/api/imports/jobs/{import_job}/commit",
        api_table(404, admin=403, officer_jimei=202, auditor=403),
        {"mode": "valid_only"},
    ),
]


def objects(world):
    from qiservice.imports import workflow
    from tests.imports.helpers import enterprise_row, upload, workbook

    job = workflow.start_import(
        kind="enterprises", upload=upload(workbook([enterprise_row(1)])), by=world.people.officer_jimei
    )
    return {"import_job": job.pk, "import_kind": "enterprises"}
