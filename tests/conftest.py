"""Fixtures shared by every test: a small branch tree and one user per role."""

import pytest
from django.test import Client

from branches.models import Branch, Role, User


def build_tree() -> dict[str, Branch]:
    """jiangsu (province) → nanjing, wuxi (prefectures) → jiangning (county under nanjing)."""
    province = Branch.objects.create(code="jiangsu", name="江苏省分公司", level="province")
    nanjing = Branch.objects.create(code="nanjing", name="南京中支", level="prefecture", parent=province, sort_order=1)
    wuxi = Branch.objects.create(code="wuxi", name="无锡中支", level="prefecture", parent=province, sort_order=2)
    jiangning = Branch.objects.create(code="jiangning", name="江宁支公司", level="county", parent=nanjing, sort_order=3)
    return {"jiangsu": province, "nanjing": nanjing, "wuxi": wuxi, "jiangning": jiangning}


@pytest.fixture
def tree(db):
    """jiangsu (province) → nanjing, wuxi (prefectures) → jiangning (county under nanjing)."""
    return build_tree()


def _user(username, branch, role):
    user = User.objects.create_user(username=username, password="pw-12345678", branch=branch, role=role)
    if role == Role.ADMIN:
        user.is_staff = user.is_superuser = True
        user.save()
    return user


def build_users(tree: dict[str, Branch]) -> dict[str, User]:
    """One user per role: staff of nanjing, staff of wuxi, staff of a county, an officer, an administrator."""
    return {
        "nanjing_staff": _user("nanjing", tree["nanjing"], Role.BRANCH_STAFF),
        "wuxi_staff": _user("wuxi", tree["wuxi"], Role.BRANCH_STAFF),
        "county_staff": _user("jiangning", tree["jiangning"], Role.BRANCH_STAFF),
        "officer": _user("province", tree["jiangsu"], Role.OFFICER),
        "admin": _user("admin", tree["jiangsu"], Role.ADMIN),
    }


@pytest.fixture
def users(tree):
    """One user per role: staff of nanjing, staff of wuxi, staff of a county, an officer, an administrator."""
    return build_users(tree)


@pytest.fixture
def client_for():
    """A logged-in Django test client for a user."""

    def make(user):
        client = Client()
        client.force_login(user)
        return client

    return make
