"""Access matrix rows of training (5.4) and the pool's rules (4.3)."""

from .common import table

POOL = {"admin": 200, "officer_jimei": 200, "officer_siming": 200, "specialist": 200, "specialist_siming": 200}

UI = [
    ("GET", "/specialists/training/", table(403, auditor=200, **POOL)),
    ("GET", "/specialists/training/new/", table(403, admin=200, officer_jimei=200, officer_siming=200)),
    ("GET", "/specialists/training/hours/", table(403, admin=200, officer_jimei=200, officer_siming=200, auditor=200)),
    ("GET", "/specialists/training/{training}/", table(403, auditor=200, **POOL)),
    ("GET", "/specialists/training/{training}/edit/", table(403, admin=200, officer_jimei=200, officer_siming=200)),
    ("GET", "/specialists/rules/", table(200)),
    ("GET", "/specialists/rules/edit/", table(403, admin=200)),
]


def objects(world):
    import datetime

    from qiservice.specialists.models import Training

    session = Training.objects.create(
        title="计量法规培训",
        form="centralized",
        topics=["policy"],
        held_on=datetime.date(2026, 3, 1),
        hours=4,
        organiser="市场监管局",
        created_by=world.people.admin,
    )
    return {"training": session.pk}
