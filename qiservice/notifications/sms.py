"""SMS gateways. Settings name one with SMS_BACKEND; the default only logs, so a real
gateway (e.g. a government SMS platform's HTTP API) is plugged in by writing a class with
the same `send` method and pointing SMS_BACKEND at it."""

import logging

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("qiservice.sms")


class LoggingSmsBackend:
    """Writes each message to the log instead of sending it."""

    def send(self, phone, text):
        logger.info("SMS to %s: %s", phone, text)
        return True


def get_backend():
    return import_string(settings.SMS_BACKEND)()
