"""Helpers for the demand-page tests: read what the page offers, post its forms."""

import re

from django.contrib.messages import get_messages

from qiservice.demands.models import Demand

ACTION = re.compile(r'data-action="([a-z_]+)"(\s+data-missing="1")?')


def page(client, demand):
    response = client.get(f"/demands/{demand.pk}/")
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def portal_page(client, demand):
    """The enterprise's page of the demand (the staff page sends its users there)."""
    assert client.get(f"/demands/{demand.pk}/")["Location"] == f"/portal/demands/{demand.pk}/"
    response = client.get(f"/portal/demands/{demand.pk}/")
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def portal_offers(client, demand):
    """What the portal's page of the demand offers its enterprise's user now."""
    html = portal_page(client, demand)
    marks = {"withdraw": 'data-testid="portal-withdraw"', "acknowledge": 'data-testid="portal-acknowledge"'}
    return {name for name, mark in marks.items() if mark in html}


def actions_in(html):
    """(offered, hinted): the actions a page offers, and those shown disabled with what
    they are missing."""
    found = ACTION.findall(html)
    return {name for name, missing in found if not missing}, {name for name, missing in found if missing}


def offered(client, demand):
    """The actions the demand page offers the client's user now."""
    return actions_in(page(client, demand))[0]


def hinted(client, demand):
    return actions_in(page(client, demand))[1]


def version(demand):
    return Demand.objects.get(pk=demand.pk).version


def status(demand):
    return Demand.objects.get(pk=demand.pk).status


def act(client, demand, action, data=None, **kwargs):
    """POST an action's form with the demand's current version."""
    payload = {"version": version(demand)}
    payload.update(data or {})
    return client.post(f"/demands/{demand.pk}/act/{action}/", payload, **kwargs)


def post(client, demand, suffix, data=None, **kwargs):
    payload = {"version": version(demand)}
    payload.update(data or {})
    return client.post(f"/demands/{demand.pk}/{suffix}", payload, **kwargs)


def flashed(response):
    """The messages a response set (for a redirect: those the next page will show)."""
    return [str(m) for m in get_messages(response.wsgi_request)]


def milestone_rows(*rows):
    """The plan form's milestone formset data: rows of (title, due_on)."""
    data = {
        "milestones-TOTAL_FORMS": str(max(len(rows), 4)),
        "milestones-INITIAL_FORMS": "0",
        "milestones-MIN_NUM_FORMS": "0",
        "milestones-MAX_NUM_FORMS": "30",
    }
    for index, (title, due_on) in enumerate(rows):
        data[f"milestones-{index}-title"] = title
        data[f"milestones-{index}-due_on"] = due_on.isoformat() if due_on else ""
    return data


PREPARATION = {
    "plan_notes": "先摸底计量器具，再编写体系文件。",
    "content_metrology": "计量器具校准",
    "content_standardization": "企业标准梳理",
    "risk_trade_secret": "on",
    "risk_trade_secret_notes": "涉及工艺参数，资料不外传",
}

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde" + b"\x00" * 64
)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00" + b"\x00" * 64
