from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "公共"


class GuardedAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the site that refuses lookups on protected fields (core/admin.py)."""

    default = False  # core's own config stays CoreConfig
    default_site = "core.admin.GuardedAdminSite"
