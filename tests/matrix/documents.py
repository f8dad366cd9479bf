"""Access matrix rows of the official forms (Word/PDF downloads).

{doc_demand} is a direct demand of 集美 served by 王建华 to the end: ledger, summary,
evaluation and an approved, published typical case, so every form exists. The institution
does not work on it (out of its scope). The ledger is the internal working record: the
enterprise's user may see the demand but not download the ledger (403). {doc_form} and
{doc_fmt} fill the generic rows (registration, pdf)."""

from .common import api_table, table

# Those who see the demand: the agency for 集美, the auditor, the specialist, the enterprise.
IN_SCOPE = {"admin": 200, "officer_jimei": 200, "specialist": 200, "enterprise_user": 200, "auditor": 200}
LEDGER = IN_SCOPE | {"enterprise_user": 403}

UI = [
    ("GET", "/documents/demand/{doc_demand}/{doc_form}.{doc_fmt}", table(404, **IN_SCOPE)),
    ("GET", "/documents/demand/{doc_demand}/registration.docx", table(404, **IN_SCOPE)),
    ("GET", "/documents/demand/{doc_demand}/ledger.pdf", table(404, **LEDGER)),
    ("GET", "/documents/demand/{doc_demand}/ledger.docx", table(404, **LEDGER)),
    ("GET", "/documents/demand/{doc_demand}/evaluation.pdf", table(404, **IN_SCOPE)),
    ("GET", "/documents/demand/{doc_demand}/summary.docx", table(404, **IN_SCOPE)),
    ("GET", "/documents/demand/{doc_demand}/case.pdf", table(404, **IN_SCOPE)),
    # Blank forms for paper: any logged-in user.
    ("GET", "/documents/blank/{doc_form}.{doc_fmt}", table(200)),
    ("GET", "/documents/blank/evaluation.docx", table(200)),
]

API = [
    ("GET", "/api/documents/demands/{doc_demand}/{doc_form}.{doc_fmt}", api_table(404, **IN_SCOPE)),
    ("GET", "/api/documents/demands/{doc_demand}/ledger.docx", api_table(404, **LEDGER)),
    ("GET", "/api/documents/demands/{doc_demand}/case.docx", api_table(404, **IN_SCOPE)),
    ("GET", "/api/documents/blank/{doc_form}.{doc_fmt}", api_table(200)),
]


class _Lazy:
    """Built only when a path uses it (a dozen rules calls)."""

    def __init__(self, made, key):
        self.made, self.key = made, key

    def __format__(self, spec):
        return format(self.made()[self.key], spec)


def objects(world):
    from tests.documents.helpers import full_demand

    cache = {}

    def made():
        if not cache:
            cache["doc_demand"] = full_demand(world).pk
        return cache

    return {"doc_demand": _Lazy(made, "doc_demand"), "doc_form": "registration", "doc_fmt": "pdf"}
