"""Access matrix rows of the deadline settings and the inbox."""

from .common import table

UI = [
    ("GET", "/deadlines/", table(403, admin=200)),
    ("GET", "/deadlines/policies/{policy}/", table(403, admin=200)),
    ("GET", "/deadlines/calendar/new/", table(403, admin=200)),
    ("GET", "/deadlines/calendar/{holiday}/", table(403, admin=200)),
    ("GET", "/inbox/", table(200)),
    # Opening someone else's message just returns to one's own inbox.
    ("POST", "/inbox/{notification}/open/", table(302)),
    ("POST", "/inbox/read-all/", table(302)),
]


def objects(world):
    from qiservice.deadlines.models import DeadlinePolicy, Holiday
    from qiservice.notifications.models import Notification

    notification = Notification.objects.create(user=world.people.specialist, kind="reminder", title="t")
    return {
        "policy": DeadlinePolicy.objects.first().pk,
        "holiday": Holiday.objects.first().pk,
        "notification": notification.pk,
    }
