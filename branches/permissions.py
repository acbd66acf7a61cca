"""The one permission layer: every view, export, task and API endpoint asks here who may see what.

Branch staff see and edit their own branch and the branches below it. Provincial officers see and
edit every branch and do the office's work (review, lock, qualitative scores). Administrators do all
that and configure schemes. Another branch's object answers 404, never a hint that it exists.
"""

from django.db.models import QuerySet
from django.http import Http404

from branches.models import Branch, Role


def visible_branch_ids(user) -> set[int] | None:
    """Ids of the branches the user may see; None means every branch.

    Administrators see everything. Officers see their own branch's whole subtree (a provincial
    officer their province; an officer of head office, at the root, every province). Staff see
    their branch and the branches below it.
    """
    if not user.is_authenticated:
        return set()
    if user.is_superuser or user.role == Role.ADMIN:
        return None
    if user.branch_id is None:
        return set()
    if user.role == Role.OFFICER and user.branch.parent_id is None:
        return None
    return user.branch.descendant_ids()


def visible_branches(user) -> QuerySet[Branch]:
    """The branches the user may see."""
    ids = visible_branch_ids(user)
    qs = Branch.objects.all()
    return qs if ids is None else qs.filter(pk__in=ids)


def scope_queryset(user, queryset: QuerySet, branch_field: str = "branch") -> QuerySet:
    """Restrict any queryset with a branch foreign key to what the user may see."""
    ids = visible_branch_ids(user)
    if ids is None:
        return queryset
    return queryset.filter(**{f"{branch_field}__in": ids})


def can_view_branch(user, branch: Branch) -> bool:
    ids = visible_branch_ids(user)
    return ids is None or branch.pk in ids


def can_edit_branch_figures(user, branch: Branch) -> bool:
    """Staff edit their own branch's figures; officers and administrators edit any."""
    return can_view_branch(user, branch)


def is_officer(user) -> bool:
    """Provincial officers and administrators: review, lock, score qualitative items, publish."""
    return user.is_authenticated and (user.role in (Role.OFFICER, Role.ADMIN) or user.is_superuser)


def is_admin(user) -> bool:
    """Administrators configure schemes and users."""
    return user.is_authenticated and (user.role == Role.ADMIN or user.is_superuser)


def get_branch_or_404(user, code: str) -> Branch:
    """The branch with this code if the user may see it; otherwise 404, as if it did not exist."""
    branch = Branch.objects.filter(code=code).first()
    if branch is None or not can_view_branch(user, branch):
        raise Http404("找不到该机构")
    return branch


def get_scoped_object_or_404(user, queryset: QuerySet, branch_field: str = "branch", **lookup):
    """One object of a branch-owned queryset, 404 if it is missing or belongs to another branch."""
    obj = scope_queryset(user, queryset, branch_field).filter(**lookup).first()
    if obj is None:
        raise Http404("找不到该记录")
    return obj


def can_see_personal_data(user, branch: Branch) -> bool:
    """Customers' names, phones and ID numbers: only the branch staff who handle the branch's cases need them."""
    return (
        user.is_authenticated
        and user.role == Role.BRANCH_STAFF
        and not user.is_superuser
        and branch is not None
        and can_view_branch(user, branch)
    )


def can_review_figures(user) -> bool:
    """Approve and lock, return or reopen branches' monthly figures, and remind branches to submit: the office."""
    return is_officer(user)


def can_score_qualitative(user) -> bool:
    """Score qualitative items and record deductions and vetoes: the office."""
    return is_officer(user)


def can_publish_league(user, province: Branch) -> bool:
    """Publish (and republish) a scheme's league table, and decide on corrections to approved months: the
    office of the scheme's province (its officers, and administrators)."""
    return is_officer(user) and can_view_branch(user, province)


def can_simulate(user, province: Branch) -> bool:
    """Run what-if simulations of a scheme and save one as a draft version: the office of the scheme's province
    (a simulation shows every branch's cells)."""
    return is_officer(user) and can_view_branch(user, province)
