"""Creating and delivering notifications.

`notify` is called inside the rules' transaction: the inbox rows commit with the event.
E-mail and SMS go out from the queue after the commit (`transaction.on_commit`), from what
was committed, never inside the request.
"""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from .models import Notification, NotificationPreference


def notify(users, kind, title, body="", *, url="", demand=None):
    users = {u.pk: u for u in users if u is not None and u.is_active}
    rows = Notification.objects.bulk_create(
        Notification(user=u, kind=kind, title=title[:200], body=body, url=url, demand=demand) for u in users.values()
    )
    ids = [n.pk for n in rows if n.pk]
    if not ids:  # bulk_create on some backends does not return ids
        ids = list(
            Notification.objects.filter(user__in=users.values(), kind=kind, title=title[:200])
            .order_by("-pk")
            .values_list("pk", flat=True)[: len(users)]
        )
    if ids:
        transaction.on_commit(lambda: enqueue_delivery(ids))
    return rows


def enqueue_delivery(ids):
    from .tasks import deliver_notifications

    deliver_notifications(ids)


def deliver(notification_ids):
    """Send the e-mails and SMS of these notifications, once each (idempotent)."""
    from .sms import get_backend

    sms = None
    for notification in Notification.objects.filter(pk__in=notification_ids).select_related("user"):
        preference = NotificationPreference.objects.filter(user=notification.user).first()
        by_email = preference.by_email if preference else True
        by_sms = preference.by_sms if preference else False
        link = settings.SITE_URL.rstrip("/") + notification.url if notification.url else ""
        if by_email and notification.user.email and notification.emailed_at is None:
            context = {"notification": notification, "link": link, "user": notification.user}
            send_mail(
                subject=f"【质量基础设施协同服务】{notification.title}",
                message=render_to_string("notifications/email.txt", context),
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[notification.user.email],
            )
            Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
        if by_sms and notification.user.phone and notification.texted_at is None:
            sms = sms or get_backend()
            if sms.send(notification.user.phone, f"【质量基础设施协同服务】{notification.title}"):
                Notification.objects.filter(pk=notification.pk).update(texted_at=timezone.now())
