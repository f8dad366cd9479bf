"""Base views: a page of a new model is a few declarations on one of these."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from . import audit
from .forms import fast_selects, style_form
from .models import AuditEvent
from .pagination import ListPaginator
from .picker import PickerWidget
from .tables import table_rows


class ObjectListView(LoginRequiredMixin, View):
    """A filtered, searched, sorted and paginated list of the rows the user may see."""

    model = None
    filterset_class = None
    search_fields = ()
    columns = ()
    default_sort = None
    template_name = "core/object_list.html"
    title = ""
    create_url = None  # URL name of the create page, shown when the user may create
    export_name = None  # name of the Excel export of this list (qiservice/exports/registry.py)

    def get_queryset(self):
        return self.model.objects.restrict(self.request.user, "view")

    def has_permission(self):
        """Whether the user's role may open this list at all (403 otherwise)."""
        return True

    def can_create(self):
        return False

    def filter_queryset(self, queryset):
        params = self.request.GET
        filterset = (
            self.filterset_class(params, queryset=queryset, request=self.request) if self.filterset_class else None
        )
        if filterset is not None:
            fast_selects(style_form(filterset.form, empty_label=_("全部")))
            queryset = filterset.qs if filterset.is_valid() else queryset.none()
        q = params.get("q", "").strip()
        if q and self.search_fields:
            condition = Q()
            for name in self.search_fields:
                condition |= Q(**{f"{name}__icontains": q})
            queryset = queryset.filter(condition)
        return queryset, filterset

    def sort_queryset(self, queryset):
        sortable = {c.accessor: c.sort for c in self.columns if c.sort}
        key = self.request.GET.get("sort", "")
        descending = key.startswith("-")
        field = sortable.get(key.lstrip("-"))
        if field:
            order = [f"-{field}" if descending else field]
            if not self.is_unique(field):
                # A stable order for equal values (pages neither skip nor repeat rows), in the
                # same direction, so that an index on (field, id) reads either way.
                order.append("-pk" if descending else "pk")
            return queryset.order_by(*order), key
        return (queryset.order_by(*self.default_sort) if self.default_sort else queryset), ""

    def is_unique(self, field):
        """Whether `field` (a column of the model itself) holds no two rows alike: then
        it orders alone, and the database reads its unique index in order (issue 9)."""
        try:
            return "__" not in field and self.model._meta.get_field(field).unique
        except FieldDoesNotExist:
            return False

    def get(self, request):
        if not self.has_permission():
            raise PermissionDenied
        queryset, filterset = self.filter_queryset(self.get_queryset())
        self.filterset = filterset
        queryset, sort = self.sort_queryset(queryset)
        page = ListPaginator(self.display_queryset(queryset), settings.PAGE_SIZE).get_page(request.GET.get("page"))
        self.decorate(page.object_list)
        query = request.GET.copy()
        query.pop("page", None)
        sort_query = query.copy()
        sort_query.pop("sort", None)
        context = {
            "title": self.title,
            "page": page,
            "columns": self.columns,
            "rows": table_rows(self.columns, page.object_list),
            "filterset": filterset,
            "search_fields": self.search_fields,
            "q": request.GET.get("q", ""),
            "sort": sort,
            "query": query.urlencode(),
            "sort_query": sort_query.urlencode(),
            "create_url": self.create_url if self.can_create() else None,
            "export_url": self.export_url(query),
        }
        context.update(self.extra_context())
        if request.htmx and request.htmx.target == "object-table":
            # The rows only, and the filters' pickers out of band (a text typed and sent
            # without choosing stays, its suggestions close).
            context["oob_pickers"] = self.oob_pickers(filterset)
            return render(request, "core/_object_table.html", context)
        return render(request, self.template_name, context)

    @staticmethod
    def oob_pickers(filterset):
        fields = [f for f in filterset.form if isinstance(f.field.widget, PickerWidget)] if filterset else []
        for field in fields:
            field.field.widget.oob = True
        return fields

    def extra_context(self):
        return {}

    def display_queryset(self, queryset):
        """What a page of rows reads to show its columns (joins, only the columns shown):
        not the Excel export of the same rows, which reads plain columns of its own."""
        return queryset

    def decorate(self, rows):
        """Attach to a page's rows what their cells show from other tables (a query each)."""

    def export_url(self, query):
        """The "导出 Excel" link: the export of this list with the page's filters."""
        if not self.export_name:
            return None
        from django.urls import reverse

        url = reverse("exports:export", args=[self.export_name])
        return f"{url}?{query.urlencode()}" if query else url


class ScopedObjectMixin(LoginRequiredMixin):
    """Looks the object up through the model's data scope: out of scope is a 404."""

    model = None
    action = "view"

    def get_object(self, pk, action=None):
        return self.model.objects.get_for(self.request.user, pk, action or self.action)

    def can_change(self, obj):
        return self.model.objects.restrict(self.request.user, "change").filter(pk=obj.pk).exists()


class ObjectDetailView(ScopedObjectMixin, View):
    template_name = None
    audit_views = False  # record every view in the audit log (enterprise data, R6.2)

    def get(self, request, pk):
        obj = self.get_object(pk)
        if self.audit_views:
            audit.record(AuditEvent.VIEWED, obj, actor=request.user)
        context = {"object": obj, "can_change": self.can_change(obj)}
        context.update(self.extra_context(obj))
        return render(request, self.template_name, context)

    def extra_context(self, obj):
        return {}


class ObjectEditView(ScopedObjectMixin, View):
    """Create (pk None) or edit a row through the app's rules function.

    Subclasses name `form_class` and implement `save(form, formsets)`; a `ValidationError`
    raised there (e.g. a concurrent edit) is shown on the form and nothing is written.
    """

    form_class = None
    template_name = "core/object_form.html"
    action = "change"
    title_create = ""
    title_edit = ""
    audit_views = False  # the form shows every field: record each time it is opened (R6.2)

    def may_create(self):
        return False

    def get_formsets(self, obj, data=None):
        return {}

    def get_form(self, obj, data=None):
        return self.form_class(data=data, instance=obj, user=self.request.user)

    def new_object(self):
        return self.model()

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and kwargs.get("pk") is None and not self.may_create():
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def render_form(self, obj, form, formsets):
        return render(
            self.request,
            self.template_name,
            {
                "object": obj if obj.pk else None,
                "form": form,
                "formsets": formsets,
                "title": self.title_edit if obj.pk else self.title_create,
            },
        )

    def get(self, request, pk=None):
        obj = self.get_object(pk) if pk is not None else self.new_object()
        if self.audit_views and obj.pk:
            audit.record(AuditEvent.VIEWED, obj, actor=request.user, extra={"via": "edit"})
        return self.render_form(obj, self.get_form(obj), self.get_formsets(obj))

    def post(self, request, pk=None):
        obj = self.get_object(pk) if pk is not None else self.new_object()
        form = self.get_form(obj, request.POST)
        formsets = self.get_formsets(obj, request.POST)
        if form.is_valid() and all(fs.is_valid() for fs in formsets.values()):
            try:
                with transaction.atomic():
                    saved = self.save(form, formsets)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("已保存。"))
                return redirect(saved.get_absolute_url())
        messages.error(request, _("提交未保存，请按提示修正后重试。"))
        return self.render_form(obj, form, formsets)

    def save(self, form, formsets):  # pragma: no cover - every subclass overrides it
        raise NotImplementedError
