"""Downloading a demand's official forms (Word or PDF), and the blank forms for paper.

Thin: look the demand up through the data scope (404 outside it), let `services` decide
and build, answer with the file. A form that does not exist yet is a 404 page saying so.
"""

from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from . import services


def content_disposition(filename, fallback):
    """attachment; with an ASCII fallback name and the Chinese name per RFC 5987/6266."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


def file_response(data, filename, content_type, fallback):
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition(filename, fallback)
    response["Content-Length"] = str(len(data))
    response["Cache-Control"] = "private, no-store"
    return response


def missing(request, message, demand=None):
    return render(request, "documents/missing.html", {"message": message, "demand": demand}, status=404)


@login_required
def demand_form(request, pk, form, fmt):
    demand = services.load(request.user, pk)
    try:
        data, filename, content_type = services.download(request.user, demand, form, fmt)
    except services.MissingContent as error:
        return missing(request, error.message, demand)
    return file_response(data, filename, content_type, f"{form}-{demand.number}.{fmt}")


@login_required
def blank_form(request, form, fmt):
    try:
        data, filename, content_type = services.download_blank(request.user, form, fmt)
    except services.MissingContent as error:
        return missing(request, error.message)
    return file_response(data, filename, content_type, f"{form}-blank.{fmt}")
