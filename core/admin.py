"""The admin site: no lookup, search, sort or list may read a protected field (personal data, secrets).

An administrator sees complainants' personal data masked, and never sees a token key or a password
hash. Masking the list is not enough: `?customer_phone__startswith=1892` would answer "1 result" or
"0 results" and recover a phone number digit by digit. So every ModelAdmin registered on the site,
ours or a library's, refuses query-string lookups that reach a protected field (a Chinese 400), and
a system check refuses an admin that lists, filters, searches or sorts by one.
"""

from django.contrib import admin
from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.template.response import TemplateResponse

# model label → fields no admin may filter, search, sort or list by.
PROTECTED_FIELDS = {
    "complaints.complaint": {"customer_name", "customer_phone", "customer_id_number"},
    "authtoken.token": {"key"},
    "authtoken.tokenproxy": {"key"},
    "branches.user": {"password"},
}
# Query-string keys of the change list that are not lookups.
CHANGELIST_PARAMS = {"o", "p", "q", "all", "e", "_popup", "_to_field", "_changelist_filters", "_facets"}


def protected_field(model, lookup: str) -> str | None:
    """The protected field that `lookup` (`a__b__startswith`, `^name`) reaches from `model`, if any."""
    for part in lookup.lstrip("^=@-").split("__"):
        if part in PROTECTED_FIELDS.get(model._meta.label_lower, ()):
            return f"{model._meta.verbose_name}.{model._meta.get_field(part).verbose_name}"
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return None
        if not field.is_relation or field.related_model is None:
            return None
        model = field.related_model
    return None


class ProtectedFieldsGuard:
    """Mixed into every ModelAdmin by the site: lookups on protected fields are refused."""

    def lookup_allowed(self, lookup, value, request=None):
        if protected_field(self.model, lookup):
            return False
        return super().lookup_allowed(lookup, value, request)

    def changelist_view(self, request, extra_context=None):
        refused = [f for key in request.GET if key not in CHANGELIST_PARAMS if (f := protected_field(self.model, key))]
        if refused:
            context = {**self.admin_site.each_context(request), "title": "筛选条件被拒绝", "fields": refused}
            return TemplateResponse(request, "admin/protected_lookup_refused.html", context, status=400)
        return super().changelist_view(request, extra_context)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown in the admin, changed only through the pages (or commands) whose services check and record."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class GuardedAdminSite(admin.AdminSite):
    """The default admin site; every ModelAdmin registered on it carries ProtectedFieldsGuard."""

    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, ProtectedFieldsGuard):
            admin_class = type(admin_class.__name__, (ProtectedFieldsGuard, admin_class), {"__module__": admin_class.__module__})
        super().register(model_or_iterable, admin_class, **options)


OPTIONS = ("list_display", "list_display_links", "list_filter", "search_fields", "ordering", "sortable_by", "list_editable")


@checks.register(checks.Tags.admin)
def check_protected_fields(app_configs=None, **kwargs):
    """An admin that lists, filters, searches or sorts by a protected field is a configuration error."""
    errors = []
    for model, model_admin in admin.site._registry.items():
        for option in OPTIONS:
            for entry in getattr(model_admin, option, None) or ():
                name = entry[0] if isinstance(entry, (list, tuple)) else entry
                if isinstance(name, str) and (field := protected_field(model, name)):
                    errors.append(
                        checks.Error(f"{type(model_admin).__name__}.{option} uses the protected field {field}", id="core.E001")
                    )
        date_hierarchy = getattr(model_admin, "date_hierarchy", None)
        if date_hierarchy and protected_field(model, date_hierarchy):
            errors.append(checks.Error(f"{type(model_admin).__name__}.date_hierarchy is protected", id="core.E001"))
    return errors
