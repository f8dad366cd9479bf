import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from qiservice.specialists.models import PoolSettings, Training, TrainingAttendance

THIS_YEAR = datetime.date.today().year  # noqa: DTZ011 - only the year matters


def training_data(**overrides):
    data = {
        "title": "计量法规与校准实务",
        "form": "centralized",
        "topics": ["policy", "technical"],
        "held_on": f"{THIS_YEAR}-03-15",
        "hours": "6",
        "organiser": "厦门市市场监督管理局",
    }
    data.update(overrides)
    return data


def sheet(rows):
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("签到表.xlsx", buffer.getvalue())


def test_the_agency_records_a_training_and_ticks_attendance(world, login):
    client = login(world.people.officer_jimei)
    response = client.post("/specialists/training/new/", training_data())
    session = Training.objects.get()
    assert response.status_code == 302
    assert session.topics == ["policy", "technical"]
    client.post(f"/specialists/training/{session.pk}/", {"present": [world.sp_jimei.pk]})
    assert list(TrainingAttendance.objects.values_list("specialist_id", "hours")) == [(world.sp_jimei.pk, Decimal(6))]


@pytest.mark.parametrize(("field", "value"), [("hours", "0"), ("hours", "500"), ("topics", []), ("held_on", "")])
def test_bad_training_input_saves_nothing(world, login, field, value):
    client = login(world.people.admin)
    response = client.post("/specialists/training/new/", training_data(**{field: value}))
    assert field in response.context["form"].errors
    assert not Training.objects.exists()


def test_a_sign_in_sheet_is_imported_with_a_row_by_row_report(world, login):
    client = login(world.people.admin)
    client.post("/specialists/training/new/", training_data())
    session = Training.objects.get()
    upload = sheet([["姓名", "手机号"], ["王建华", "139 0000 0000"], ["陈丽", ""], ["不存在", "13700000000"]])
    response = client.post(f"/specialists/training/{session.pk}/", {"sheet": upload})
    page = response.content.decode()
    assert "已从签到表导入 2 人" in page or "已从签到表导入 2 人" in str(list(response.context["messages"]))
    assert "未找到该专员" in page
    assert set(session.attendances.values_list("specialist_id", flat=True)) == {world.sp_jimei.pk, world.sp_siming.pk}


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("a.xlsx", b"not a workbook"), "请上传 Excel 签到表"),
        (SimpleUploadedFile("a.xlsx", b"PK\x03\x04broken zip"), "无法读取该 Excel 文件"),
    ],
)
def test_a_bad_sign_in_sheet_gets_a_clear_message_and_changes_nothing(world, login, upload, message):
    client = login(world.people.admin)
    client.post("/specialists/training/new/", training_data())
    session = Training.objects.get()
    response = client.post(f"/specialists/training/{session.pk}/", {"sheet": upload}, follow=True)
    assert message in response.content.decode()
    assert not session.attendances.exists()


def test_a_sheet_without_a_name_column_is_refused(world, login):
    client = login(world.people.admin)
    client.post("/specialists/training/new/", training_data())
    session = Training.objects.get()
    response = client.post(f"/specialists/training/{session.pk}/", {"sheet": sheet([["编号"], ["1"]])}, follow=True)
    assert "须有“姓名”列" in response.content.decode()


def test_hours_against_the_yearly_requirement(world, login):
    PoolSettings.objects.create(yearly_training_hours=8)
    admin = login(world.people.admin)
    admin.post("/specialists/training/new/", training_data(hours="6"))
    session = Training.objects.get()
    admin.post(f"/specialists/training/{session.pk}/", {"present": [world.sp_jimei.pk, world.sp_siming.pk]})
    admin.post("/specialists/training/new/", training_data(title="沟通技能", hours="3", topics=["communication"]))
    second = Training.objects.get(title="沟通技能")
    admin.post(f"/specialists/training/{second.pk}/", {"present": [world.sp_jimei.pk]})

    below = admin.get("/specialists/training/hours/", {"below": "1"}).content.decode()
    assert "陈丽" in below and "王建华" not in below
    mine = login(world.people.specialist).get("/specialists/training/").content.decode()
    assert "本年学时 9 / 8" in mine
    own_page = login(world.people.specialist).get(f"/specialists/{world.sp_jimei.pk}/").content.decode()
    assert 'data-testid="training-hours">9 / 8<' in own_page
    officer = login(world.people.officer_jimei).get("/specialists/training/hours/").content.decode()
    assert "王建华" in officer and "陈丽" not in officer, "district staff see their district only"


def test_the_rules_page_is_read_by_the_pool_and_edited_by_the_admin(world, login):
    admin = login(world.people.admin)
    admin.post(
        "/specialists/rules/edit/",
        {"selection_rules": "第一条 服务专员应具备中级以上职称。", "yearly_training_hours": 12},
    )
    page = login(world.people.specialist).get("/specialists/rules/").content.decode()
    assert "第一条 服务专员应具备中级以上职称。" in page and "12 学时" in page
    refused = admin.post("/specialists/rules/edit/", {"selection_rules": "x", "yearly_training_hours": 0})
    assert "至少为 1 学时" in refused.content.decode()
    assert PoolSettings.current().yearly_training_hours == 12
