"""The organisation tree and the users who belong to it."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext_lazy as _


class BranchLevel(models.TextChoices):
    HEAD_OFFICE = "head_office", _("总公司")
    PROVINCE = "province", _("省分公司")
    PREFECTURE = "prefecture", _("中心支公司")
    COUNTY = "county", _("支公司")


PATH_SEPARATOR = "/"


def branch_path(parent_path: str | None, code: str) -> str:
    """A branch's materialised path: its ancestors' codes and its own, e.g. "/head/jiangsu/nanjing/"."""
    return f"{parent_path or PATH_SEPARATOR}{code}{PATH_SEPARATOR}"


def path_codes(path: str) -> list[str]:
    """The codes of a path from the root down: "/hq/jiangsu/nanjing/" → ["hq", "jiangsu", "nanjing"]."""
    return path.strip(PATH_SEPARATOR).split(PATH_SEPARATOR)


def path_prefixes(path: str) -> list[str]:
    """"/a/b/c/" → ["/a/b/c/", "/a/b/", "/a/"]: the branch's own path, then its ancestors' upwards."""
    codes = path_codes(path)
    return [PATH_SEPARATOR + PATH_SEPARATOR.join(codes[:n]) + PATH_SEPARATOR for n in range(len(codes), 0, -1)]


class BranchQuerySet(models.QuerySet):
    def subtree(self, branch: "Branch") -> "BranchQuerySet":
        """The branch and every branch below it: one indexed prefix query on the path."""
        return self.filter(path__startswith=branch.path)

    def bulk_create(self, objs, *args, **kwargs):
        """bulk_create that fills each branch's path from its (saved) parent, given as an object or an id."""
        objs = list(objs)
        missing = {o.parent_id for o in objs if not o.path and o.parent_id and "parent" not in o._state.fields_cache}
        saved = dict(Branch.objects.filter(pk__in=missing).values_list("pk", "path")) if missing else {}
        for o in objs:
            if not o.path:
                parent = o._state.fields_cache.get("parent")
                o.path = branch_path(parent.path if parent else saved.get(o.parent_id), o.code)
        return super().bulk_create(objs, *args, **kwargs)


class Branch(models.Model):
    """A unit of the organisation: head office → province → prefecture (中支) → county (支公司).

    `path` is the materialised path of codes from the root ("/head/jiangsu/nanjing/"), kept by `save`, so that
    "everything under X" is one indexed prefix query (`Branch.objects.subtree(x)`).
    """

    code = models.SlugField(_("机构代码"), max_length=40, unique=True)
    name = models.CharField(_("机构名称"), max_length=100)
    level = models.CharField(_("层级"), max_length=20, choices=BranchLevel.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级机构"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    path = models.CharField(_("机构路径"), max_length=255, db_index=True, editable=False)

    objects = BranchQuerySet.as_manager()

    class Meta:
        verbose_name = _("机构")
        verbose_name_plural = _("机构")
        ordering = ["sort_order", "code"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        """Keep the path; a branch moved or renamed carries its whole subtree's paths along."""
        old = self.path
        self.path = branch_path(self.parent.path if self.parent_id else None, self.code)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "path"}
        super().save(*args, **kwargs)
        if old and old != self.path:
            Branch.objects.filter(path__startswith=old).exclude(pk=self.pk).update(
                path=Concat(models.Value(self.path), Substr("path", len(old) + 1))
            )

    @property
    def depth(self) -> int:
        """0 for a root (head office), 1 for a province under it, and so on."""
        return len(path_codes(self.path)) - 1

    def descendant_ids(self) -> set[int]:
        """Ids of this branch and every branch below it."""
        return set(Branch.objects.subtree(self).values_list("pk", flat=True))

    @staticmethod
    def roots_of_subtrees(root_ids) -> dict[int, int]:
        """Every branch in the subtrees of `root_ids`, mapped to its root: one query per level, not per root."""
        owner = {pk: pk for pk in root_ids}
        frontier = list(owner)
        while frontier:
            below = list(Branch.objects.filter(parent_id__in=frontier).values_list("pk", "parent_id"))
            for pk, parent in below:
                owner.setdefault(pk, owner[parent])
            frontier = [pk for pk, _ in below]
        return owner


class Role(models.TextChoices):
    BRANCH_STAFF = "staff", _("机构人员")
    OFFICER = "officer", _("省公司考核人员")
    ADMIN = "admin", _("系统管理员")


class User(AbstractUser):
    """A person who signs in; belongs to one branch with one role."""

    branch = models.ForeignKey(
        Branch, verbose_name=_("所属机构"), null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices, default=Role.BRANCH_STAFF)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")


class BranchAlias(models.Model):
    """A name for a branch that the office confirmed once (e.g. “宁分” for 南京中支): imports match it from then on."""

    name = models.CharField(_("别名"), max_length=100, unique=True)
    branch = models.ForeignKey(Branch, verbose_name=_("机构"), on_delete=models.CASCADE, related_name="aliases")
    confirmed_by = models.ForeignKey("User", verbose_name=_("确认人"), null=True, on_delete=models.SET_NULL, related_name="+")
    confirmed_at = models.DateTimeField(_("确认时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("机构别名")
        verbose_name_plural = _("机构别名")

    def __str__(self):
        return f"{self.name} → {self.branch}"
