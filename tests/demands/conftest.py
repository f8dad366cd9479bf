import datetime

import pytest

from qiservice.demands import workflow


@pytest.fixture
def register(world):
    """register(by=..., enterprise=...) -> a demand registered through the rules."""

    def _register(by=None, enterprise=None, **overrides):
        data = {
            "enterprise": enterprise or world.ent_jimei,
            "categories": ["metrology", "standardization"],
            "source": "onsite",
            "contact_name": "张经理",
            "contact_phone": "13800001111",
            "description": "企业新购三坐标测量机，需要建立测量管理体系并开展计量器具校准。",
        }
        data.update(overrides)
        return workflow.register_demand(by=by or world.people.specialist, **data)

    return _register


TODAY = datetime.date(2026, 11, 25)


def agreement_data():
    return {
        "period_start": TODAY,
        "period_end": TODAY + datetime.timedelta(days=60),
        "content": "建立测量管理体系，完成关键计量器具校准。",
        "method": "onsite",
        "signed_on": TODAY,
    }


def plan_data():
    return {
        "objectives": "三个月内通过测量管理体系内审。",
        "milestones": [
            {"title": "计量器具摸底", "due_on": TODAY + datetime.timedelta(days=10)},
            {"title": "体系文件编写", "due_on": TODAY + datetime.timedelta(days=30)},
        ],
    }


def ledger_data():
    return {
        "entry_on": TODAY,
        "enterprise_contact": "张经理",
        "problem": "三坐标测量机未建立校准周期",
        "handling": "现场核查设备清单，按JJF 1064给出校准方案",
    }


def preparation_data():
    return {
        "plan_notes": "先摸底计量器具，再编写体系文件。",
        "content": {"metrology": "计量器具校准", "standardization": "企业标准梳理"},
        "risks": {"trade_secret": "涉及工艺参数，资料不外传"},
    }


RATINGS = {"conduct": 10, "attitude": 10, "competence": 8, "timeliness": 8, "result": 10}
