"""Access matrix rows of the demand page, its forms and attachment downloads.

The demands are registered by 王建华 (the 集美 specialist) for the 集美 enterprise, so they
are in the scope of the admin, the 集美 officer, 王建华, the enterprise's user and the
auditor (read-only: 403 on every form); the others get 404. In scope, a form the user may
not use now redirects to the demand page with the reason (302); an empty POST of a form
they may use is shown again with its errors (200).

The enterprise's user is sent from every one of these pages to the portal's page of the
demand (302): the staff pages hold internal records; withdrawing and acknowledging the
plan are done in the portal.
"""

from .common import table

# The enterprise's user: to the portal (302).
IN_SCOPE = {"admin": 200, "officer_jimei": 200, "specialist": 200, "enterprise_user": 302, "auditor": 200}
# A form in scope: 302 (refused, back to the page) unless the row says 200; the auditor 403.
FORM = {"admin": 302, "officer_jimei": 302, "specialist": 302, "enterprise_user": 302, "auditor": 403}


def form(**allowed):
    return table(404, **(FORM | allowed))


UI = [
    ("GET", "/demands/{dd_live}/", table(404, **IN_SCOPE)),
    # The specialist may withdraw (the enterprise does it in the portal); the agency cancels instead.
    ("GET", "/demands/{dd_live}/act/{dd_withdraw}/", form(specialist=200)),
    ("POST", "/demands/{dd_live}/act/{dd_withdraw}/", form(specialist=200)),
    ("GET", "/demands/{dd_live}/assign/", form(admin=200, officer_jimei=200)),
    ("POST", "/demands/{dd_live}/assign/", form(admin=200, officer_jimei=200)),
    ("GET", "/demands/{dd_live}/assignment/", form()),  # nobody has an assignment to answer
    ("GET", "/demands/{dd_live}/notes/add/", form(admin=200, officer_jimei=200, specialist=200)),
    ("GET", "/demands/{dd_preparing}/preparation/", form(specialist=200)),
    ("GET", "/demands/{dd_live}/enterprise/verify/", form(admin=200, officer_jimei=200, specialist=200)),
    ("GET", "/demands/{dd_live}/ledger/add/", form(specialist=200)),
    ("POST", "/demands/{dd_live}/ledger/add/", form(specialist=200)),
    ("GET", "/demands/{dd_live}/ledger/{dd_entry}/", form(specialist=200)),
    ("GET", "/demands/{dd_live}/milestones/{dd_milestone}/", form(specialist=200)),
    (
        "GET",
        "/demands/{dd_live}/plan/informed/",
        form(admin=200, officer_jimei=200, specialist=200),
    ),
    ("GET", "/demands/{dd_live}/attachments/upload/", form(admin=200, officer_jimei=200, specialist=200)),
    ("GET", "/demands/{dd_live}/attachments/{dd_attachment}/", table(404, **IN_SCOPE)),
    # A trade secret: the admin and the people serving the demand only (the enterprise's
    # user is sent to the portal's download, which applies the enterprise's rules).
    ("GET", "/demands/{dd_live}/attachments/{dd_secret}/", table(404, admin=200, specialist=200, enterprise_user=302)),
]


class Lazy:
    """A placeholder made only when a path uses it (str.format formats only what is used),
    so the other modules' rows do not pay for these demands."""

    def __init__(self, make):
        self.make = make

    def __format__(self, spec):
        return format(self.make(), spec)


def objects(world):
    made = {}

    def once(name, make):
        if name not in made:
            made[name] = make()
        return made[name]

    def live():
        return once("live", lambda: _in_service(world))

    def attachment(secret):
        return once(f"attachment-{secret}", lambda: _attach(world, live()["demand"], secret))

    return {
        "dd_withdraw": "withdraw",
        "dd_live": Lazy(lambda: live()["demand"].pk),
        "dd_entry": Lazy(lambda: live()["entry"].pk),
        "dd_milestone": Lazy(lambda: live()["milestone"].pk),
        "dd_preparing": Lazy(lambda: once("preparing", lambda: _preparing(world)).pk),
        "dd_attachment": Lazy(lambda: attachment(False).pk),
        "dd_secret": Lazy(lambda: attachment(True).pk),
    }


def _register(world):
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


def _preparing(world):
    from qiservice.demands import workflow

    demand = _register(world)
    workflow.start_preparation(demand, by=world.people.specialist)
    return demand


def _in_service(world):
    import datetime

    from django.utils import timezone

    from qiservice.demands import workflow

    sp = world.people.specialist
    today = timezone.localdate()
    demand = _preparing(world)
    workflow.save_preparation(demand, by=sp, plan_notes="计划", content={"metrology": "校准"}, risks={})
    workflow.confirm(demand, by=sp, mode="direct", reason="直接服务")
    workflow.sign_agreement(
        demand,
        by=sp,
        period_start=today,
        period_end=today + datetime.timedelta(days=30),
        content="校准",
        method="onsite",
        signed_on=today,
    )
    plan = workflow.make_plan(demand, by=sp, objectives="完成校准", milestones=[{"title": "摸底", "due_on": today}])
    workflow.start_service(demand, by=sp)
    entry = workflow.add_ledger_entry(
        demand, by=sp, entry_on=today, enterprise_contact="张经理", problem="未校准", handling="现场校准"
    )
    return {"demand": demand, "entry": entry, "milestone": plan.milestones.get()}


def _attach(world, demand, secret):
    import os
    import weakref

    from django.core.files.uploadedfile import SimpleUploadedFile

    from qiservice.demands import workflow

    upload = SimpleUploadedFile("方案.pdf", b"%PDF-1.4\n%%EOF\n")
    attachment = workflow.add_attachment(
        demand, upload, by=world.people.specialist, stage="service", is_trade_secret=secret
    )
    # The test's rows roll back; its file goes when the test's objects do.
    path = attachment.file.path
    weakref.finalize(world.ent_jimei, lambda: os.path.exists(path) and os.remove(path))
    return attachment
