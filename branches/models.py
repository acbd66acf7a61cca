"""The organisation tree and the users who belong to it."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class BranchLevel(models.TextChoices):
    PROVINCE = "province", _("省分公司")
    PREFECTURE = "prefecture", _("中心支公司")
    COUNTY = "county", _("支公司")


class Branch(models.Model):
    """A unit of the organisation: province → prefecture (中支) → county (支公司)."""

    code = models.SlugField(_("机构代码"), max_length=40, unique=True)
    name = models.CharField(_("机构名称"), max_length=100)
    level = models.CharField(_("层级"), max_length=20, choices=BranchLevel.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级机构"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    sort_order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("机构")
        verbose_name_plural = _("机构")
        ordering = ["sort_order", "code"]

    def __str__(self):
        return self.name

    def descendant_ids(self) -> set[int]:
        """Ids of this branch and every branch below it (the tree is three levels deep at most)."""
        ids, frontier = {self.pk}, [self.pk]
        while frontier:
            frontier = list(Branch.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
            ids.update(frontier)
        return ids

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
