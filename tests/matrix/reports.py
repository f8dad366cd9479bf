"""Access matrix rows of the statistics (4.2, 8.6): the agency and the read-only auditor;
district staff see their own district only (another district is not found)."""

from .common import api_table, table

READERS = {"admin": 200, "officer_jimei": 200, "officer_siming": 200, "auditor": 200}
# 集美 named explicitly: 思明's staff get a 404, as for any row outside their scope.
JIMEI = {"admin": 200, "officer_jimei": 200, "officer_siming": 404, "auditor": 200}

UI = [
    ("GET", "/reports/", table(403, **READERS)),
    ("GET", "/reports/?period=year&district={jimei}", table(403, **JIMEI)),
    ("GET", "/reports/export.xlsx", table(403, **READERS)),
    ("GET", "/reports/export.xlsx?district={jimei}", table(403, **JIMEI)),
    ("GET", "/reports/report.docx", table(403, **READERS)),
    ("GET", "/reports/report.docx?period=quarter&district={jimei}", table(403, **JIMEI)),
]

API = [
    ("GET", "/api/reports/dashboard", api_table(403, **READERS)),
    ("GET", "/api/reports/dashboard?district={jimei}", api_table(403, **JIMEI)),
    ("GET", "/api/reports/export.xlsx", api_table(403, **READERS)),
    ("GET", "/api/reports/report.docx", api_table(403, **READERS)),
    ("GET", "/api/reports/report.docx?district={jimei}", api_table(403, **JIMEI)),
]


def objects(world):
    return {"jimei": world.jimei.pk}
