from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from branches.models import Branch, User


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent", "sort_order"]
    list_filter = ["level"]
    search_fields = ["code", "name"]


@admin.register(User)
class AppUserAdmin(UserAdmin):
    list_display = ["username", "first_name", "branch", "role", "is_active"]
    list_filter = ["role", "branch"]
    fieldsets = UserAdmin.fieldsets + (("机构与角色", {"fields": ["branch", "role"]}),)
    add_fieldsets = UserAdmin.add_fieldsets + (("机构与角色", {"fields": ["branch", "role"]}),)
