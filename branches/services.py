"""Writes for the organisation tree and users."""

from django.db import transaction

from branches.models import Branch, Role, User
from core.events import tree_changed


@transaction.atomic
def branch_tree_load(*, rows: list[dict]) -> list[Branch]:
    """Create or update branches from rows of code, name, level, parent (parents listed first); a branch that
    moves under another parent is announced (`tree_changed`)."""
    out = []
    parents = dict(Branch.objects.filter(code__in=[row["code"] for row in rows]).values_list("code", "parent_id"))
    for order, row in enumerate(rows, start=1):
        parent = Branch.objects.get(code=row["parent"]) if row.get("parent") else None
        branch, _ = Branch.objects.update_or_create(
            code=row["code"], defaults={"name": row["name"], "level": row["level"], "parent": parent, "sort_order": order}
        )
        if row["code"] in parents and parents[row["code"]] != branch.parent_id:
            branch_moved(branch=branch)
        out.append(branch)
    return out


def branch_moved(*, branch: Branch) -> None:
    """Announce, in the caller's transaction, that `branch` moved under another parent (kpi recomputes what it rolls up)."""
    tree_changed.send(sender="branches", branch_id=branch.pk)


def user_upsert(*, username: str, password: str, branch: Branch, role: str, full_name: str = "") -> User:
    """Create or reset a user with a branch and role (demo and administration)."""
    user, _ = User.objects.get_or_create(username=username)
    user.branch, user.role, user.first_name = branch, role, full_name
    user.is_staff = role == Role.ADMIN
    user.is_superuser = role == Role.ADMIN
    user.set_password(password)
    user.save()
    return user
