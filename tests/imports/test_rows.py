"""The dry run's per-row checks: the exact messages, duplicates, scope."""

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from qiservice.enterprises.models import Enterprise
from qiservice.imports.choices import ImportStatus, RowStatus
from qiservice.imports.rules import SEPARATORS
from tests.conftest import CODES

from .helpers import DEMAND_HEADERS, credit_code, demand_row, enterprise_row, workbook


def _report(job):
    return {r.row_number: (r.status, r.errors) for r in job.rows.all()}


def test_mixed_file_gives_the_exact_errors_of_each_row(world, start):
    bad_code = credit_code(5)[:17] + ("0" if credit_code(5)[17] != "0" else "1")
    rows = [
        enterprise_row(1),
        enterprise_row(2, 统一社会信用代码=bad_code, 联系电话="12345"),
        enterprise_row(3, 所在区="思明区", 电子邮箱="not-an-email"),
        enterprise_row(4, 企业名称=None, 所属行业="制造", 企业规模="超大型"),
        enterprise_row(5, 所在区="火星区", 统一社会信用代码="91350211MA0000001"),
        enterprise_row(6, 联系电话=13800000006, 所属行业="c"),
    ]
    job = start(world.people.officer_jimei, "enterprises", workbook(rows))
    assert job.status == ImportStatus.VALIDATED
    assert (job.rows_total, job.valid_rows, job.error_rows) == (6, 2, 4)
    report = _report(job)
    assert report[2] == (RowStatus.OK, [])
    assert report[3] == (
        RowStatus.ERROR,
        [
            "【统一社会信用代码】统一社会信用代码校验位不正确，请核对后重新输入。",
            "【联系电话】请输入有效的联系电话：11位手机号，或带区号的固定电话（如 0592-1234567）。",
        ],
    )
    assert report[4] == (
        RowStatus.ERROR,
        ["【所在区】您只能导入本人所辖区（集美区）的服务对象。", "【电子邮箱】电子邮箱格式不正确。"],
    )
    industries = "；".join(
        [
            "农、林、牧、渔业",
            "采矿业",
            "制造业",
            "电力、热力、燃气及水生产和供应业",
            "建筑业",
            "批发和零售业",
            "交通运输、仓储和邮政业",
            "住宿和餐饮业",
            "信息传输、软件和信息技术服务业",
            "金融业",
            "房地产业",
            "租赁和商务服务业",
            "科学研究和技术服务业",
            "水利、环境和公共设施管理业",
            "居民服务、修理和其他服务业",
            "教育",
            "卫生和社会工作",
            "文化、体育和娱乐业",
            "公共管理、社会保障和社会组织",
            "国际组织",
        ]
    )
    assert report[5] == (
        RowStatus.ERROR,
        [
            "【企业名称】必填项，不能为空。",
            f"【所属行业】“制造”不是可选值，可选：{industries}。",
            "【企业规模】“超大型”不是可选值，可选：大型、中型、小型、微型。",
        ],
    )
    assert report[6] == (
        RowStatus.ERROR,
        [
            "【统一社会信用代码】统一社会信用代码应为18位，当前为17位。",
            "【所在区】“火星区”不是本平台的区，可选：集美区。",
        ],
    )
    # A phone number typed as a number and an industry given by its letter are fine.
    assert report[7] == (RowStatus.OK, [])
    assert Enterprise.objects.count() == 3  # the dry run writes nothing


def test_duplicates_in_the_file_and_in_the_database(world, start):
    rows = [
        enterprise_row(1),
        enterprise_row(2),
        enterprise_row(1, 企业名称="另一个名字"),
        enterprise_row(9, 统一社会信用代码=CODES["ent_jimei"].lower()),
    ]
    job = start(world.people.officer_jimei, "enterprises", workbook(rows))
    report = _report(job)
    assert report[4] == (RowStatus.ERROR, ["【统一社会信用代码】与第2行重复。"])
    assert report[5] == (RowStatus.ERROR, ["【统一社会信用代码】该代码已登记，服务对象库中已有该企业。"])
    assert (job.valid_rows, job.error_rows) == (2, 2)


def test_admin_may_import_into_every_district_and_district_names_may_be_short(world, start):
    rows = [enterprise_row(1, 所在区="思明区"), enterprise_row(2, 所在区="湖里"), enterprise_row(3, 所在区="350211")]
    job = start(world.people.admin, "enterprises", workbook(rows))
    assert job.error_rows == 0


def test_blank_rows_are_skipped_and_row_numbers_are_the_sheet_rows(world, start):
    content = workbook([enterprise_row(1), {}, {"企业名称": "  "}, enterprise_row(2, 企业名称=None)])
    job = start(world.people.officer_jimei, "enterprises", content)
    assert _report(job) == {2: (RowStatus.OK, []), 5: (RowStatus.ERROR, ["【企业名称】必填项，不能为空。"])}


def _demands(rows):
    return workbook(rows, headers=DEMAND_HEADERS, title="服务需求")


def test_demand_rows_check_enterprise_categories_source_date_and_duplicates(world, start):
    from qiservice.demands import workflow

    workflow.register_demand(
        enterprise=world.ent_jimei,
        categories=["metrology"],
        source="phone",
        contact_name="王",
        contact_phone="13800000000",
        description="已有的  需求",
        collected_on=dt.date(2026, 1, 5),
        by=world.people.officer_jimei,
    )
    jimei = CODES["ent_jimei"]
    rows = [
        demand_row(jimei),
        demand_row(jimei, 需求类别="计量，标准化;认证认可 质量管理", 收集日期=dt.datetime(2026, 1, 6)),  # noqa: DTZ001 - a naive Excel date cell
        demand_row(jimei),
        demand_row(jimei, 需求描述="已有的 需求"),
        demand_row(CODES["ent_siming"]),
        demand_row(credit_code(77)),
        demand_row(jimei, 需求类别="计量、火箭", 来源="12345热线", 收集日期="2099-01-01", 需求描述="另一需求"),
        demand_row(jimei, 收集日期="2026年1月7日", 需求描述="第三个"),
        demand_row(jimei, 收集日期="明天", 需求描述="第四个"),
    ]
    job = start(world.people.officer_jimei, "demands", _demands(rows))
    report = _report(job)
    not_found = "【统一社会信用代码】未找到该代码的服务对象，或不在您的管辖范围内。请先导入或登记该企业。"
    assert report == {
        2: (RowStatus.OK, []),
        3: (RowStatus.OK, []),
        4: (RowStatus.ERROR, ["【需求描述】与第2行重复（同一企业、同一收集日期、相同描述）。"]),
        5: (RowStatus.ERROR, ["【需求描述】该企业在同一收集日期已有相同描述的需求，疑似重复。"]),
        6: (RowStatus.ERROR, [not_found]),  # another district's enterprise: not revealed
        7: (RowStatus.ERROR, [not_found]),
        8: (
            RowStatus.ERROR,
            [
                "【需求类别】“火箭”不是可选值，可选：计量、标准化、检验检测、认证认可、质量管理、其他（多个用顿号分隔）。",
                "【来源】“12345热线”不是可选值，可选：现场、电话、网络、其他。",
                "【收集日期】不能晚于今天。",
            ],
        ),
        9: (RowStatus.OK, []),
        10: (RowStatus.ERROR, ["【收集日期】“明天”不是有效日期，格式应为 YYYY-MM-DD。"]),
    }


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.sampled_from(["计量", "标准化", "检验检测", "认证认可", "质量管理", "其他"]), min_size=1, max_size=6),
    st.lists(st.sampled_from(["、", ",", "，", ";", "；", " ", "\u3000", "/", " 、 "]), min_size=6, max_size=6),
)
def test_categories_split_on_any_separator(labels, separators):
    text = "".join(label + sep for label, sep in zip(labels, separators, strict=False)).strip()
    parts = [p for p in SEPARATORS.split(text) if p]
    assert parts == labels
