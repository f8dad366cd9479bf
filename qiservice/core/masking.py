"""Who reads phone numbers and e-mail addresses in full, and how the others read them (R6.2).

One rule for every page, export, API answer and document:

- the agency admin: every contact in full;
- agency staff: the contacts of their districts' enterprises, demands, specialists and
  account requests;
- a specialist: their own details, and the enterprises and demands they serve (assigned,
  special-task targets, registered by them);
- institution staff: the demands dispatched to their institution and accepted (and those
  demands' enterprise and specialist): they have to call them;
- an enterprise's users: their own enterprise and demands, and the specialists serving them;
- leaders and auditors (read-only): masked, like everyone else not named above.

The rule is written once per model as a condition over its rows (`Q`), so a list, an export
or an API page annotates each row with it in the same query (`annotate_contact`), and one
object is checked with `can_see_contact(scope, obj)`.
"""

from django.db.models import BooleanField, Case, Q, Value, When

from .visibility import get_scope

# The annotation that carries the answer on a row of a list (`annotate_contact`).
CONTACT_FULL = "contact_full"

PHONE_KEEP_START, PHONE_KEEP_END = 3, 4
STARS = "****"


def mask_phone(value):
    """13812345678 -> 138****5678. At most the first 3 and the last 4 characters are kept,
    and only of a number long enough (8+) that the rest stays hidden; the stars do not
    tell the length."""
    value = str(value or "").strip()
    if not value:
        return ""
    if len(value) < PHONE_KEEP_START + PHONE_KEEP_END + 1:
        return STARS
    return value[:PHONE_KEEP_START] + STARS + value[-PHONE_KEEP_END:]


def mask_email(value):
    """zhang.san@example.com -> z***@example.com: the first letter and the domain."""
    value = str(value or "").strip()
    if not value:
        return ""
    name, at, domain = value.rpartition("@")
    if not at:
        return "***"
    return f"{name[:1]}***@{domain}"


def mask_contact(value):
    """A phone number or an e-mail address, masked as what it is."""
    return mask_email(value) if "@" in str(value or "") else mask_phone(value)


def shown(value, full):
    """The value as this viewer reads it: in full, or masked."""
    return value if full else mask_contact(value)


def is_contact_field(name):
    return "phone" in name or "email" in name


def mask_changes(changes):
    """An audit record's changes ({field: value or [old, new]}) with the values of phone and
    e-mail fields masked."""
    if not isinstance(changes, dict):
        return changes
    masked = {}
    for name, value in changes.items():
        if is_contact_field(str(name)):
            value = [mask_contact(v) for v in value] if isinstance(value, list) else mask_contact(value)
        masked[name] = value
    return masked


# --- the rule, per model -----------------------------------------------------------------------

ALL, NONE = "all", "none"


def _accepted_demands(scope):
    from qiservice.demands.choices import DispatchStatus
    from qiservice.demands.models import Dispatch

    return Dispatch.objects.filter(institution_id__in=scope.institution_ids, status=DispatchStatus.ACCEPTED).values(
        "demand_id"
    )


def _demands():
    from qiservice.demands.models import Demand

    return Demand.objects.all()


def _enterprise(scope):
    from qiservice.demands.models import TaskTarget

    parts = []
    if scope.enterprise_ids:
        parts.append(Q(pk__in=sorted(scope.enterprise_ids)))
    if scope.district_ids:
        parts.append(Q(district_id__in=sorted(scope.district_ids)))
    if scope.is_specialist:
        mine = scope.specialist_id
        parts.append(Q(pk__in=_demands().filter(specialist_id=mine).values("enterprise_id")))
        parts.append(Q(pk__in=TaskTarget.objects.filter(specialist_id=mine).values("enterprise_id")))
        parts.append(Q(created_by_id=scope.user_id))
    if scope.institution_ids:
        accepted = _demands().filter(pk__in=_accepted_demands(scope)).values("enterprise_id")
        parts.append(Q(pk__in=accepted))
    return parts


def _demand(scope):
    parts = []
    if scope.enterprise_ids:
        parts.append(Q(enterprise_id__in=sorted(scope.enterprise_ids)))
    if scope.district_ids:
        parts.append(Q(district_id__in=sorted(scope.district_ids)))
    if scope.is_specialist:
        parts.append(Q(specialist_id=scope.specialist_id))
    if scope.is_authenticated:
        parts.append(Q(registered_by_id=scope.user_id))  # they wrote the number down
    if scope.institution_ids:
        parts.append(Q(pk__in=_accepted_demands(scope)))
    return parts


def _specialist(scope):
    parts = []
    if scope.is_specialist:
        parts.append(Q(pk=scope.specialist_id))
    if scope.district_ids:
        parts.append(Q(district_id__in=sorted(scope.district_ids)))
        serving = _demands().filter(district_id__in=scope.district_ids).values("specialist_id")
        parts.append(Q(pk__in=serving))
    if scope.enterprise_ids:
        serving = _demands().filter(enterprise_id__in=scope.enterprise_ids).values("specialist_id")
        parts.append(Q(pk__in=serving))
    if scope.institution_ids:
        serving = _demands().filter(pk__in=_accepted_demands(scope)).values("specialist_id")
        parts.append(Q(pk__in=serving))
    return parts


def _account_request(scope):
    if not scope.district_ids:
        return []
    from qiservice.enterprises.models import Enterprise

    districts = sorted(scope.district_ids)
    in_districts = Enterprise.objects.filter(district_id__in=districts).values("pk")
    return [Q(district_id__in=districts), Q(enterprise_id__in=in_districts)]


def _nobody(scope):
    return []


RULES = {
    "core.auditlog": _nobody,  # the records' contact values: the admin only
    "enterprises.enterprise": _enterprise,
    "demands.demand": _demand,
    "specialists.specialist": _specialist,
    "public.enterpriseaccountrequest": _account_request,
}
# Models whose contacts follow another model's rule: (the rule's model, the path to it).
FOLLOWS = {"enterprises.enterprisecontact": ("enterprises.enterprise", "enterprise")}


def _own_condition(scope, model):
    """ALL, NONE, or a Q over `model`'s own rows."""
    from django.apps import apps

    if scope.is_agency_admin:
        return ALL
    if not scope.is_authenticated:
        return NONE
    label = model._meta.label_lower
    if label in FOLLOWS:
        target, path = FOLLOWS[label]
        inner = _own_condition(scope, apps.get_model(target))
        if inner in (ALL, NONE):
            return inner
        return Q(**{f"{path}__in": apps.get_model(target)._base_manager.filter(inner).values("pk")})
    if label not in RULES:
        raise LookupError(f"no contact rule for {label}: add one to qiservice/core/masking.py")
    parts = RULES[label](scope)
    if not parts:
        return NONE
    condition = parts[0]
    for part in parts[1:]:
        condition |= part
    return condition


def contact_condition(scope, model, prefix=""):
    """ALL, NONE, or a Q selecting the rows whose contacts of `model` the scope reads in
    full; with `prefix` ("demand__specialist") the Q is over the queried model and names
    the related object by a subquery (no join, so a missing related object drops no row)."""
    condition = _own_condition(scope, model)
    if not prefix or condition in (ALL, NONE):
        return condition
    return Q(**{f"{prefix}__in": model._base_manager.filter(condition).values("pk")})


def contact_expression(scope, model, prefix=""):
    """A boolean SQL expression: whether the row's contacts (of `model` at `prefix`) are shown."""
    condition = contact_condition(scope, model, prefix)
    if condition in (ALL, NONE):
        return Value(condition == ALL, output_field=BooleanField())
    return Case(When(condition, then=Value(True)), default=Value(False), output_field=BooleanField())


def annotate_contact(queryset, user_or_scope, *, prefix="", model=None, name=CONTACT_FULL):
    """Each row with `name` = whether the viewer reads its contacts in full. `prefix` and
    `model` name a related object's contacts (e.g. "demand__specialist", Specialist)."""
    scope = _scope(user_or_scope)
    if model is None:
        model = queryset.model
        for part in prefix.split("__") if prefix else ():
            model = model._meta.get_field(part).related_model
    return queryset.annotate(**{name: contact_expression(scope, model, prefix)})


def can_see_contact(user_or_scope, obj):
    """Whether the viewer reads this object's phone numbers and e-mail addresses in full."""
    if obj is None:
        return False
    annotated = getattr(obj, CONTACT_FULL, None)
    if annotated is not None:
        return bool(annotated)
    scope = _scope(user_or_scope)
    cached = getattr(obj, "_contact_full_for", None)
    if cached is not None and cached[0] == scope:
        return cached[1]
    condition = contact_condition(scope, type(obj))
    if condition in (ALL, NONE):
        full = condition == ALL
    else:
        full = type(obj)._base_manager.filter(condition, pk=obj.pk).exists()
    obj._contact_full_for = (scope, full)  # the phone and the e-mail of one object: one query
    return full


def api_shown(context, obj, value):
    """In an API schema's resolver (`def resolve_phone(obj, context)`): the value as the
    request's user may read it."""
    request = (context or {}).get("request")
    user = getattr(request, "user", None)
    return shown(value or "", can_see_contact(user, obj))


def _scope(user_or_scope):
    from .visibility import Scope

    return user_or_scope if isinstance(user_or_scope, Scope) else get_scope(user_or_scope)
