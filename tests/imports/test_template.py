"""The downloadable templates."""

import io

from openpyxl import load_workbook

from .helpers import DEMAND_HEADERS, ENTERPRISE_HEADERS


def _book(response):
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def test_enterprise_template_has_headers_example_lists_and_guide(world, login):
    response = login(world.people.officer_jimei).get("/imports/templates/enterprises.xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = _book(response)
    sheet = book["服务对象"]
    assert [c.value for c in sheet[1]] == ENTERPRISE_HEADERS
    example = {h: c.value for h, c in zip(ENTERPRISE_HEADERS, sheet[2], strict=True)}
    assert example["所在区"] == "集美区"  # the officer's own district
    assert example["所属行业"] == "制造业"
    validations = {str(v.sqref): v.formula1 for v in sheet.data_validations.dataValidation}
    assert set(validations) == {"C2:C5001", "E2:E5001", "F2:F5001"}
    lists = book["选项"]
    assert lists.sheet_state == "hidden"
    columns = {lists.cell(1, c).value: [lists.cell(r, c).value for r in range(2, lists.max_row + 1)] for c in (1, 2, 3)}
    assert [v for v in columns["所在区"] if v] == ["集美区"]
    assert [v for v in columns["企业规模"] if v] == ["大型", "中型", "小型", "微型"]
    assert len([v for v in columns["所属行业"] if v]) == 20
    guide = book["说明"]
    text = "\n".join(str(c.value) for row in guide.iter_rows() for c in row if c.value)
    for header in ENTERPRISE_HEADERS:
        assert header in text
    assert "表头必须在第1行" in text and "不接受公式" in text


def test_admin_template_lists_every_district(world, login):
    book = _book(login(world.people.admin).get("/imports/templates/enterprises.xlsx"))
    lists = book["选项"]
    district_column = next(c for c in range(1, 4) if lists.cell(1, c).value == "所在区")
    assert {lists.cell(r, district_column).value for r in range(2, 5)} == {"集美区", "思明区", "湖里区"}


def test_demand_template_has_headers_and_category_list(world, login):
    book = _book(login(world.people.admin).get("/api/imports/templates/demands"))
    sheet = book["服务需求"]
    assert [c.value for c in sheet[1]] == DEMAND_HEADERS
    validations = {str(v.sqref): v for v in sheet.data_validations.dataValidation}
    # Several categories in one cell: the list offers, it does not forbid.
    assert validations["C2:C5001"].showErrorMessage is False
    assert validations["D2:D5001"].showErrorMessage is True
    guide = "\n".join(str(c.value) for row in book["说明"].iter_rows() for c in row if c.value)
    assert "同一企业、同一收集日期、相同描述的需求视为重复" in guide
