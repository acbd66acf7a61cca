"""The one permission layer: who sees which branch, for every role."""

import pytest
from django.http import Http404

from branches import permissions
from branches.models import Branch, Role


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ("nanjing_staff", {"nanjing", "jiangning"}),
        ("county_staff", {"jiangning"}),
        ("wuxi_staff", {"wuxi"}),
        ("officer", {"jiangsu", "nanjing", "wuxi", "jiangning"}),
        ("admin", {"jiangsu", "nanjing", "wuxi", "jiangning"}),
    ],
)
def test_each_role_sees_exactly_its_branches(users, user, expected):
    visible = set(permissions.visible_branches(users[user]).values_list("code", flat=True))
    assert visible == expected


def test_staff_without_a_branch_sees_nothing(db, tree):
    from branches.models import User

    orphan = User.objects.create_user(username="orphan", password="x", role=Role.BRANCH_STAFF)
    assert not permissions.visible_branches(orphan).exists()


def test_anonymous_sees_nothing(db, tree):
    from django.contrib.auth.models import AnonymousUser

    assert permissions.visible_branch_ids(AnonymousUser()) == set()


@pytest.mark.parametrize(
    ("user", "code", "allowed"),
    [
        ("nanjing_staff", "nanjing", True),
        ("nanjing_staff", "jiangning", True),
        ("nanjing_staff", "wuxi", False),
        ("county_staff", "nanjing", False),
        ("wuxi_staff", "nanjing", False),
        ("officer", "wuxi", True),
        ("admin", "nanjing", True),
    ],
)
def test_get_branch_or_404_hides_other_branches(users, user, code, allowed):
    if allowed:
        assert permissions.get_branch_or_404(users[user], code).code == code
    else:
        with pytest.raises(Http404):
            permissions.get_branch_or_404(users[user], code)


def test_unknown_branch_is_the_same_404_as_a_forbidden_one(users):
    with pytest.raises(Http404) as unknown:
        permissions.get_branch_or_404(users["officer"], "nowhere")
    with pytest.raises(Http404) as forbidden:
        permissions.get_branch_or_404(users["wuxi_staff"], "nanjing")
    assert str(unknown.value) == str(forbidden.value)


def test_scope_queryset_filters_any_branch_owned_rows(users, tree):
    qs = Branch.objects.all()
    assert set(permissions.scope_queryset(users["wuxi_staff"], qs, "pk").values_list("code", flat=True)) == {"wuxi"}
    assert permissions.scope_queryset(users["officer"], qs, "pk").count() == 4


@pytest.mark.parametrize(
    ("user", "officer", "admin"),
    [("nanjing_staff", False, False), ("officer", True, False), ("admin", True, True)],
)
def test_office_and_admin_roles(users, user, officer, admin):
    assert permissions.is_officer(users[user]) is officer
    assert permissions.is_admin(users[user]) is admin


def test_an_officer_below_the_root_sees_only_their_own_subtree(tree):
    from branches.models import User

    officer = User.objects.create_user(username="nj-officer", password="x", role=Role.OFFICER, branch=tree["nanjing"])
    assert set(permissions.visible_branches(officer).values_list("code", flat=True)) == {"nanjing", "jiangning"}
    with pytest.raises(Http404):
        permissions.get_branch_or_404(officer, "wuxi")
