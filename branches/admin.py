from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import TokenProxy

from branches.models import Branch, User
from branches.services import branch_moved
from core.admin import ReadOnlyAdmin


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent", "sort_order"]
    list_filter = ["level"]
    search_fields = ["code", "name"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "parent" in form.changed_data:
            branch_moved(branch=obj)


@admin.register(User)
class AppUserAdmin(UserAdmin):
    list_display = ["username", "first_name", "branch", "role", "is_active"]
    list_filter = ["role", "branch"]
    fieldsets = UserAdmin.fieldsets + (("机构与角色", {"fields": ["branch", "role"]}),)
    add_fieldsets = UserAdmin.add_fieldsets + (("机构与角色", {"fields": ["branch", "role"]}),)


admin.site.unregister(TokenProxy)


@admin.register(TokenProxy)
class ApiTokenAdmin(ReadOnlyAdmin, TokenAdmin):
    """Who holds an API token and since when; never the key (`manage.py api_token` shows it once, when made)."""

    list_display = ["user", "created"]
    list_display_links = None  # a token's own page would title it with its key
    search_fields = ["user__username"]

    def has_view_permission(self, request, obj=None):
        return obj is None and super().has_view_permission(request)
