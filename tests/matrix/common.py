"""Shared vocabulary of the access-matrix tables (tests/matrix/*.py)."""

ROLES = [
    "anonymous",
    "admin",
    "officer_jimei",
    "officer_siming",
    "specialist",
    "specialist_siming",
    "institution_staff",
    "enterprise_user",
    "auditor",
    "outsider",
]

LOGIN = "login"  # anonymous UI requests are sent to the login page
ALL_OK = dict.fromkeys(ROLES[1:], 200)


def table(default, **overrides):
    row = {"anonymous": LOGIN} | dict.fromkeys(ROLES[1:], default)
    row.update(overrides)
    return row


def api_table(default, **overrides):
    return table(default, anonymous=401, **overrides)
