import datetime
import io

import pytest
from openpyxl import load_workbook

from qiservice.demands import workflow
from qiservice.demands.models import LedgerEntry

DAY = datetime.date(2026, 11, 2)


@pytest.fixture
def demands(world):
    """Two demands of 集美 (one with a formula-like description), one of 思明; each with
    ledger entries on known dates."""
    people = world.people

    def register(by, enterprise, description, categories=("metrology",), **extra):
        return workflow.register_demand(
            by=by,
            enterprise=enterprise,
            categories=list(categories),
            source="phone",
            contact_name="张经理",
            contact_phone="13800001111",
            contact_email="zhang@example.cn",
            description=description,
            **extra,
        )

    jimei_a = register(
        people.specialist, world.ent_jimei, "校准三坐标测量机", categories=("metrology", "standardization")
    )
    jimei_b = register(people.specialist, world.ent_jimei, '=HYPERLINK("http://evil.example/","点我")')
    siming = register(people.specialist_siming, world.ent_siming, "思明区电子企业的检测需求", ("inspection_testing",))
    for demand, author in (
        (jimei_a, people.specialist),
        (jimei_b, people.specialist),
        (siming, people.specialist_siming),
    ):
        for offset in range(3):
            LedgerEntry.objects.create(
                demand=demand,
                author=author,
                entry_on=DAY + datetime.timedelta(days=offset * 10),
                enterprise_contact="张经理",
                problem=f"{demand.number} 问题 {offset}",
                handling="-现场核查" if offset == 2 else "现场核查设备清单",
            )
    return {"jimei_a": jimei_a, "jimei_b": jimei_b, "siming": siming}


def open_xlsx(response):
    """The workbook of a download response (FileResponse or HttpResponse)."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return load_workbook(io.BytesIO(content))


def rows_of(ws, header_row=1):
    """The header and the data rows of a sheet (values)."""
    rows = list(ws.iter_rows(values_only=True))
    return list(rows[header_row - 1]), rows[header_row:]
