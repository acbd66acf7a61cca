"""Enumerations of the kpi app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SchemeStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    SUPERSEDED = "superseded", _("已被新版本取代")


class Direction(models.TextChoices):
    HIGHER = "higher", _("越高越好")
    LOWER = "lower", _("越低越好")


class TargetKind(models.TextChoices):
    FIXED = "fixed", _("固定值")
    PROVINCIAL_AVERAGE = "provincial_average", _("全省加权平均")
    YEAR_ON_YEAR = "year_on_year", _("同比")


class Source(models.TextChoices):
    ENTERED = "entered", _("机构填报")
    DERIVED = "derived", _("由投诉记录生成")


class RunStatus(models.TextChoices):
    RUNNING = "running", _("计算中")
    COMPLETE = "complete", _("已完成")
    FAILED = "failed", _("失败")
