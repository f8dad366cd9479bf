"""Shared builders of the complaint tests (also used by tests/matrix/complaints.py)."""


def served_demand(world):
    """A demand of the 集美 enterprise served by 王建华."""
    from qiservice.demands import workflow

    return workflow.register_demand(
        by=world.people.specialist,
        enterprise=world.ent_jimei,
        categories=["metrology"],
        source="onsite",
        contact_name="张经理",
        contact_phone="13800001111",
        description="三坐标测量机校准",
    )


def make_complaint(world, demand=None, **overrides):
    from qiservice.complaints import workflow

    demand = demand or served_demand(world)
    data = {
        "enterprise": world.ent_jimei,
        "by": world.people.enterprise_user,
        "subject": "服务专员多次爽约",
        "text": "约定的上门时间三次未到，也没有提前通知，影响了我们的生产安排。",
        "demand": demand,
        "specialist": world.sp_jimei,
    }
    data.update(overrides)
    return workflow.submit(**data)
