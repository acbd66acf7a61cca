"""DRF permission classes built on branches.permissions (the one place for the rules)."""

from rest_framework.permissions import BasePermission

from branches import permissions


class IsOfficer(BasePermission):
    message = "只有省公司考核人员或管理员可以执行此操作。"

    def has_permission(self, request, view):
        return permissions.is_officer(request.user)
