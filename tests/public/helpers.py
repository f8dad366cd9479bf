"""Shared builders of the public-page tests (also used by tests/matrix/public.py)."""

from django.utils import timezone


def published_case(world, *, published=True, title="三坐标测量机校准与测量管理体系建设"):
    """A typical case of a closed-out demand of the 集美 enterprise, with a summary that
    names the enterprise (the public page must mask it)."""
    from qiservice.demands import workflow
    from qiservice.demands.models import Summary, TypicalCase

    demand = workflow.register_demand(
        by=world.people.specialist,
        enterprise=world.ent_jimei,
        categories=["metrology"],
        source="onsite",
        contact_name="张经理",
        contact_phone="13800001111",
        description="三坐标测量机校准",
    )
    Summary.objects.create(
        demand=demand,
        problems_solved=f"{world.ent_jimei.name}的三坐标测量机无法溯源。",
        methods="集美精密机械按计划送检，建立测量管理体系。",
        results="测量结果可溯源，客户投诉下降。",
        submitted_by=world.people.specialist,
    )
    return TypicalCase.objects.create(
        demand=demand,
        title=title,
        highlights=f"{world.ent_jimei.name}（{world.ent_jimei.credit_code}）成为示范。",
        masked_enterprise="某精密机械企业",
        status="approved" if published else "nominated",
        is_published=published,
        nominated_by=world.people.specialist,
        reviewed_by=world.people.admin if published else None,
        reviewed_at=timezone.now() if published else None,
    )
