"""Access matrix rows of the demand list, the registration form, the enterprise picker and
the my-work page."""

from .common import table

# Agency staff and admins register what reaches them, specialists what they collect.
REGISTERS = {"admin": 200, "officer_jimei": 200, "officer_siming": 200, "specialist": 200, "specialist_siming": 200}

UI = [
    # Everyone signed in has a list (of the demands in their scope, possibly none).
    # Enterprise users: to the portal, which lists their demands.
    ("GET", "/demands/", table(200, enterprise_user=302)),
    ("GET", "/demands/my-work/", table(200, enterprise_user=302)),
    ("GET", "/demands/new/", table(403, **REGISTERS)),
    # Posted empty: the form comes back with its errors (200) and nothing is registered.
    ("POST", "/demands/new/", table(403, **REGISTERS)),
    # A special task's target: only the specialist who is to contact it registers from it.
    ("GET", "/demands/new/?target={lists_target}", table(403, **(dict.fromkeys(REGISTERS, 404) | {"specialist": 200}))),
    ("GET", "/demands/enterprise-options/", table(403, **REGISTERS)),
    ("GET", "/demands/enterprise-options/?q=厦门", table(403, **REGISTERS)),
]


def objects(world):
    import datetime

    from qiservice.demands.models import SpecialTask, TaskTarget

    task = SpecialTask.objects.create(
        title="计量服务进园区",
        starts_on=datetime.date(2026, 1, 1),
        ends_on=datetime.date(2026, 12, 31),
        created_by=world.people.admin,
    )
    target = TaskTarget.objects.create(task=task, enterprise=world.ent_jimei, specialist=world.sp_jimei)
    return {"lists_target": target.pk}
