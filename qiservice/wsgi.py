import os

from django.core.wsgi import get_wsgi_application
from django.db import connections
from django.urls import get_resolver

from qiservice.core import gc_tuning

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qiservice.settings")
application = get_wsgi_application()

# Import the URL configuration — every view module and the API's schemas, about a second of
# CPU — when the process starts (once, in gunicorn's master, with --preload) rather than in the
# first request each worker serves. No connection may outlive this: with --preload the
# workers are forked from this process and must not share one.
get_resolver().reverse_dict  # noqa: B018 - read for its side effect
connections.close_all()
# What is loaded now lives as long as the process: out of the collector's way (gc_tuning.py).
gc_tuning.settle()
