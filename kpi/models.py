"""Schemes (versioned rules as data), monthly figures, office inputs and score snapshots."""

import decimal
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from branches.models import Branch, BranchLevel
from core.models import TimeStampedModel
from kpi.choices import Direction, RunStatus, SchemeStatus, Source, TargetKind

MONTH_VALIDATORS = [MinValueValidator(1), MaxValueValidator(12)]


class Component(models.Model):
    """A monthly figure a branch enters (or the complaints app derives): a numerator, a denominator, a count."""

    code = models.SlugField(_("代码"), max_length=60, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=150, blank=True)
    unit = models.CharField(_("单位"), max_length=20)
    definition = models.TextField(_("口径说明"), blank=True)
    source = models.CharField(_("来源"), max_length=20, choices=Source.choices, default=Source.ENTERED)

    class Meta:
        verbose_name = _("填报项")
        verbose_name_plural = _("填报项")
        ordering = ["code"]

    def __str__(self):
        return self.name


class Scheme(TimeStampedModel):
    """An assessment scheme (考核方案) of one year and level; its rules live in its versions."""

    code = models.SlugField(_("方案代码"), max_length=60, unique=True)
    name = models.CharField(_("方案名称"), max_length=200)
    year = models.PositiveIntegerField(_("考核年度"))
    level = models.CharField(_("考核层级"), max_length=20, choices=BranchLevel.choices)
    # The scheme's owner: the province for its prefectures' scheme, head office for the provinces', a prefecture for
    # its counties'. (Named `province` from when every scheme was a province's.)
    province = models.ForeignKey(Branch, verbose_name=_("方案所属机构"), on_delete=models.PROTECT)

    class Meta:
        verbose_name = _("考核方案")
        verbose_name_plural = _("考核方案")
        ordering = ["-year", "code"]

    def __str__(self):
        return f"{self.name}({self.code})"

    def version_in_force(self):
        """The published version scores use (the newest published), or None before the first publication."""
        return Scheme.versions_in_force([self]).get(self.pk)

    @staticmethod
    def versions_in_force(schemes) -> dict:
        """`version_in_force` of many schemes in one query: {scheme id: version}; a scheme without one is absent."""
        out = {}
        published = SchemeVersion.objects.filter(scheme__in=list(schemes), status=SchemeStatus.PUBLISHED).order_by("scheme_id", "-number")
        for version in published:
            out.setdefault(version.scheme_id, version)
        return out


class SchemeVersion(TimeStampedModel):
    """One version of a scheme's rules; published versions are frozen, a change makes a new version."""

    scheme = models.ForeignKey(Scheme, verbose_name=_("考核方案"), on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("版本号"))
    status = models.CharField(_("状态"), max_length=20, choices=SchemeStatus.choices, default=SchemeStatus.DRAFT)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    notes = models.TextField(_("说明"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("方案版本")
        verbose_name_plural = _("方案版本")
        ordering = ["scheme", "-number"]
        constraints = [models.UniqueConstraint(fields=["scheme", "number"], name="uniq_scheme_version")]

    def __str__(self):
        return f"{self.scheme.code} v{self.number}({self.get_status_display()})"

    @property
    def is_frozen(self) -> bool:
        return self.status != SchemeStatus.DRAFT


class FrozenVersionGuard(models.Model):
    """Refuses changes to rows of a published scheme version."""

    class Meta:
        abstract = True

    def clean(self):
        super().clean()
        if self.version_id and self.version.is_frozen:
            raise ValidationError(_("已发布的方案版本不能修改，请先创建新版本。"))


class Indicator(FrozenVersionGuard):
    """A quantitative indicator (定量指标): its inputs, target, points and scoring rule, all as data."""

    version = models.ForeignKey(SchemeVersion, verbose_name=_("方案版本"), on_delete=models.CASCADE, related_name="indicators")
    code = models.SlugField(_("指标代码"), max_length=60)
    name = models.CharField(_("指标名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=150, blank=True)
    theme = models.CharField(_("类别"), max_length=40, blank=True)
    order = models.PositiveIntegerField(_("排序"), default=0)
    unit = models.CharField(_("单位"), max_length=20, blank=True)
    precision = models.PositiveSmallIntegerField(_("显示精度(小数位)"), default=2, validators=[MaxValueValidator(6)])
    direction = models.CharField(_("方向"), max_length=10, choices=Direction.choices)
    target_kind = models.CharField(_("考核值类型"), max_length=30, choices=TargetKind.choices, default=TargetKind.FIXED)
    target_value = models.DecimalField(_("考核值"), max_digits=18, decimal_places=6, null=True, blank=True)
    target_value2 = models.DecimalField(_("第二考核值"), max_digits=18, decimal_places=6, null=True, blank=True)
    base_points = models.DecimalField(_("分值"), max_digits=8, decimal_places=2)
    bonus_cap = models.DecimalField(_("加分上限"), max_digits=8, decimal_places=2, default=Decimal("0"))
    rule = models.JSONField(_("计分规则"))
    inputs = models.JSONField(_("输入与汇总方式"))
    source = models.CharField(_("数据来源"), max_length=20, choices=Source.choices, default=Source.ENTERED)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("定量指标")
        verbose_name_plural = _("定量指标")
        ordering = ["version", "order"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="uniq_indicator_code")]

    def __str__(self):
        return f"{self.name}({self.code})"

    @property
    def label(self) -> str:
        """The name in the interface language: the English name when English is chosen and one is set."""
        return self.name_en if self.name_en and get_language().startswith("en") else self.name

    def clean(self):
        super().clean()
        from kpi.rules import validate_indicator

        errors = validate_indicator(self)
        if errors:
            raise ValidationError(errors)


class QualitativeItem(FrozenVersionGuard):
    """A qualitative item (定性指标) scored by the office, with its maximum."""

    version = models.ForeignKey(
        SchemeVersion, verbose_name=_("方案版本"), on_delete=models.CASCADE, related_name="qualitative_items"
    )
    code = models.CharField(_("编号"), max_length=20)
    name = models.CharField(_("名称"), max_length=100)
    max_points = models.DecimalField(_("满分"), max_digits=6, decimal_places=2)
    year_end_only = models.BooleanField(_("仅年末评分"), default=False)
    order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("定性指标")
        verbose_name_plural = _("定性指标")
        ordering = ["version", "order"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="uniq_qualitative_code")]

    def __str__(self):
        return f"{self.code} {self.name}"

    def counts_in(self, month: int) -> bool:
        """Whether the item is scored in a window ending in `month`: year-end items only in December."""
        return month == 12 or not self.year_end_only


class FigureSource(models.TextChoices):
    FORM = "form", _("页面填报")
    IMPORT = "import", _("文件导入")
    API = "api", _("接口")


class MonthlyFigure(TimeStampedModel):
    """One component's figure for one branch and month (month = its first day)."""

    branch = models.ForeignKey(Branch, verbose_name=_("机构"), on_delete=models.PROTECT, related_name="figures")
    component = models.ForeignKey(Component, verbose_name=_("填报项"), on_delete=models.PROTECT)
    month = models.DateField(_("月份"))
    value = models.DecimalField(_("数值"), max_digits=18, decimal_places=4, validators=[MinValueValidator(0)])
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    # Where the value came from (kept in its history with who and when): the form, an imported file, an API client.
    source = models.CharField(_("数据来源"), max_length=10, choices=FigureSource.choices, default=FigureSource.FORM)
    source_ref = models.CharField(_("来源说明"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("月度数据")
        verbose_name_plural = _("月度数据")
        constraints = [
            models.UniqueConstraint(fields=["branch", "component", "month"], name="uniq_monthly_figure"),
            models.CheckConstraint(condition=models.Q(month__day=1), name="figure_month_first_day"),
        ]
        indexes = [models.Index(fields=["month", "component"])]

    def __str__(self):
        return f"{self.branch} {self.month:%Y-%m} {self.component.code}={self.value}"

    def clean(self):
        super().clean()
        if self.month and self.month.day != 1:
            raise ValidationError({"month": _("月份须为该月1日")})


class TargetOverride(TimeStampedModel):
    """The official target for one indicator and window, entered when the office receives it."""

    scheme = models.ForeignKey(Scheme, verbose_name=_("考核方案"), on_delete=models.CASCADE, related_name="target_overrides")
    indicator_code = models.SlugField(_("指标代码"), max_length=60)
    month = models.PositiveSmallIntegerField(_("截至月份"), validators=MONTH_VALIDATORS)
    value = models.DecimalField(_("考核值"), max_digits=18, decimal_places=6)
    reason = models.CharField(_("原因"), max_length=300)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("考核值调整")
        verbose_name_plural = _("考核值调整")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "indicator_code", "month"], name="uniq_target_override"),
        ]

    def clean(self):
        super().clean()
        version = self.scheme.version_in_force() if self.scheme_id else None
        if version is not None and not version.indicators.filter(code=self.indicator_code).exists():
            raise ValidationError({"indicator_code": _("现行方案版本中没有该指标代码")})
        if self.value is not None and self.value < 0:
            raise ValidationError({"value": _("考核值不能为负数")})


class QualitativeScore(TimeStampedModel):
    """The office's score of one qualitative item for one branch, as of a month."""

    scheme = models.ForeignKey(Scheme, verbose_name=_("考核方案"), on_delete=models.CASCADE, related_name="qualitative_scores")
    branch = models.ForeignKey(Branch, verbose_name=_("机构"), on_delete=models.PROTECT)
    item_code = models.CharField(_("定性指标编号"), max_length=20)
    month = models.PositiveSmallIntegerField(_("评分月份"), validators=MONTH_VALIDATORS)
    score = models.DecimalField(_("得分"), max_digits=6, decimal_places=2, validators=[MinValueValidator(0)])
    reason = models.CharField(_("说明"), max_length=300, blank=True)
    unpublished = models.BooleanField(_("未公布(演示占位)"), default=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("定性评分")
        verbose_name_plural = _("定性评分")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "branch", "item_code", "month"], name="uniq_qualitative_score"),
        ]


class Deduction(TimeStampedModel):
    """Negative points (减分项) entered by the office with a reason."""

    scheme = models.ForeignKey(Scheme, verbose_name=_("考核方案"), on_delete=models.CASCADE, related_name="deductions")
    branch = models.ForeignKey(Branch, verbose_name=_("机构"), on_delete=models.PROTECT)
    month = models.PositiveSmallIntegerField(_("月份"), validators=MONTH_VALIDATORS)
    points = models.DecimalField(_("扣分"), max_digits=6, decimal_places=2)
    reason = models.CharField(_("扣分原因"), max_length=300)
    attachment = models.FileField(_("附件"), upload_to="deductions/", blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("减分项")
        verbose_name_plural = _("减分项")
        constraints = [models.CheckConstraint(condition=models.Q(points__lt=0), name="deduction_negative")]


class Veto(TimeStampedModel):
    """一票否决: the branch fails the year whatever its points."""

    scheme = models.ForeignKey(Scheme, verbose_name=_("考核方案"), on_delete=models.CASCADE, related_name="vetoes")
    branch = models.ForeignKey(Branch, verbose_name=_("机构"), on_delete=models.PROTECT)
    month = models.PositiveSmallIntegerField(_("月份"), validators=MONTH_VALIDATORS)
    reason = models.CharField(_("原因"), max_length=300)
    attachment = models.FileField(_("附件"), upload_to="vetoes/", blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("一票否决")
        verbose_name_plural = _("一票否决")


class ScoreRun(models.Model):
    """One computation of a scheme version over a year-to-date window; the current one is shown."""

    scheme = models.ForeignKey(Scheme, verbose_name=_("考核方案"), on_delete=models.CASCADE, related_name="runs")
    version = models.ForeignKey(SchemeVersion, verbose_name=_("方案版本"), on_delete=models.PROTECT, related_name="runs")
    month = models.PositiveSmallIntegerField(_("截至月份"), validators=MONTH_VALIDATORS)
    status = models.CharField(_("状态"), max_length=20, choices=RunStatus.choices, default=RunStatus.RUNNING)
    is_current = models.BooleanField(_("当前结果"), default=False)
    started_at = models.DateTimeField(_("开始时间"), auto_now_add=True)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    targets = models.JSONField(_("所用考核值"), default=dict)
    # Σ of each component over every scored branch for the window (exact, as text): the monthly form's preview
    # and checks read the rest of the province from here instead of every branch's figures.
    sums = models.JSONField(_("各填报项合计"), default=dict)

    class Meta:
        verbose_name = _("计分批次")
        verbose_name_plural = _("计分批次")
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "month"], condition=models.Q(is_current=True), name="one_current_run_per_window"
            ),
        ]

    def __str__(self):
        return f"{self.scheme.code} 1–{self.month}月 #{self.pk}"


class BranchScore(models.Model):
    """A branch's totals and rank in one run."""

    run = models.ForeignKey(ScoreRun, on_delete=models.CASCADE, related_name="branch_scores")
    branch = models.ForeignKey(Branch, verbose_name=_("机构"), on_delete=models.PROTECT)
    qualitative = models.DecimalField(_("定性得分"), max_digits=8, decimal_places=2)
    quantitative = models.DecimalField(_("定量得分"), max_digits=8, decimal_places=2)
    deductions = models.DecimalField(_("减分"), max_digits=8, decimal_places=2)
    total = models.DecimalField(_("总分"), max_digits=8, decimal_places=2)
    rank = models.PositiveIntegerField(_("排名"))
    vetoed = models.BooleanField(_("一票否决"), default=False)
    detail = models.JSONField(_("定性与减分明细"), default=dict)
    # Every indicator's cell of this branch in the run, in the indicators' order: one list per cell (StoredCell.ROW),
    # so that a national run writes ~4,500 rows, not ~77,000.
    cells = models.JSONField(_("指标得分"), default=list)

    class Meta:
        verbose_name = _("机构得分")
        verbose_name_plural = _("机构得分")
        ordering = ["run", "rank", "-quantitative", "branch__code"]
        constraints = [models.UniqueConstraint(fields=["run", "branch"], name="uniq_branch_score")]

    def __str__(self):
        return f"{self.branch} #{self.rank} {self.total}"

    def cell_list(self) -> list["StoredCell"]:
        return [StoredCell.from_row(row) for row in self.cells]

    def cell(self, indicator_code: str) -> "StoredCell | None":
        return next((c for c in self.cell_list() if c.indicator_code == indicator_code), None)


@dataclass(frozen=True)
class StoredCell:
    """One indicator's value, target and points for one branch in one run (a row of BranchScore.cells).

    Stored as text, exactly; read at the places the table shows them: values 6, targets 10, points 2. Runs keep
    inputs, not explanations (kpi.selectors.cell_explanations renders them); a run written before that kept its
    explanation as a seventh item."""

    indicator_code: str
    value: Decimal | None
    value2: Decimal | None
    previous: Decimal | None
    target: Decimal | None
    points: Decimal
    explanation: dict

    # the row's items, in order
    ROW = ("indicator_code", "value", "value2", "previous", "target", "points")
    PLACES = {"value": 6, "value2": 6, "previous": 6, "target": 10, "points": 2}

    @classmethod
    def from_row(cls, row: list) -> "StoredCell":
        code, *numbers = row[:6]
        values = [_stored_decimal(v, cls.PLACES[name]) for name, v in zip(cls.ROW[1:], numbers, strict=True)]
        return cls(code, *values, row[6] if len(row) > 6 else {})

    @staticmethod
    def points_of(row: list) -> Decimal:
        """A stored row's points, as `from_row` reads them (without reading the rest of the row)."""
        return _stored_decimal(row[5], StoredCell.PLACES["points"])

    @classmethod
    def rows(cls, columns: dict[str, list]) -> list[list]:
        """The stored rows of many cells given as columns (`ROW`'s names): each number as the text of its value at
        the places it is read at (points as they are), None as None."""
        texts = [columns["indicator_code"]]
        with decimal.localcontext(_WIDE):
            for name in cls.ROW[1:]:
                exponent = Decimal(1).scaleb(-cls.PLACES[name])
                quantize = name != "points"
                texts.append([None if v is None else str(v.quantize(exponent) if quantize else v) for v in columns[name]])
        return [list(row) for row in zip(*texts, strict=True)]


# Rounding to the places a cell is read at, as PostgreSQL's numeric rounds (half away from zero), whatever the size.
_WIDE = decimal.Context(prec=100, rounding=decimal.ROUND_HALF_UP)


_EXPONENTS = {places: Decimal(1).scaleb(-places) for places in set(StoredCell.PLACES.values())}


def _stored_decimal(text: str | None, places: int) -> Decimal | None:
    if text is None:
        return None
    return Decimal(text).quantize(_EXPONENTS[places], context=_WIDE)


# ── Branch data entry: a month's review state, its timeline, and in-app notices ─────────────────────


class SubmissionStatus(models.TextChoices):
    DRAFT = "draft", _("填报中")
    SUBMITTED = "submitted", _("已提交待审核")
    RETURNED = "returned", _("已退回修改")
    APPROVED = "approved", _("已审核锁定")


class SubmissionAction(models.TextChoices):
    SAVED = "saved", _("保存")
    SUBMITTED = "submitted", _("提交审核")
    RETURNED = "returned", _("退回修改")
    APPROVED = "approved", _("审核通过并锁定")
    REOPENED = "reopened", _("重新打开")
    CORRECTED = "corrected", _("接受投诉数据更正")
    IMPORTED = "imported", _("导入")


class MonthlySubmission(TimeStampedModel):
    """A branch's figures of one month as a whole: its review state and the revision every edit is checked against."""

    branch = models.ForeignKey(Branch, verbose_name=_("机构"), on_delete=models.PROTECT, related_name="submissions")
    month = models.DateField(_("月份"))
    status = models.CharField(_("状态"), max_length=20, choices=SubmissionStatus.choices, default=SubmissionStatus.DRAFT)
    revision = models.PositiveIntegerField(_("修订号"), default=0)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("提交人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("审核人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    comment = models.TextField(_("审核意见"), blank=True)
    derived_locked_at = models.DateTimeField(_("投诉生成数据锁定时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("月度填报")
        verbose_name_plural = _("月度填报")
        ordering = ["-month", "branch__sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["branch", "month"], name="uniq_monthly_submission"),
            models.CheckConstraint(condition=models.Q(month__day=1), name="submission_month_first_day"),
        ]

    def __str__(self):
        return f"{self.branch} {self.month:%Y-%m} {self.get_status_display()}"

    @property
    def is_locked(self) -> bool:
        return self.status == SubmissionStatus.APPROVED


class SubmissionEvent(models.Model):
    """One entry of a month's timeline: who did what when, why, and which figures changed (old → new)."""

    submission = models.ForeignKey(MonthlySubmission, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(_("操作"), max_length=20, choices=SubmissionAction.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, on_delete=models.SET_NULL)
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    revision = models.PositiveIntegerField(_("修订号"))
    status = models.CharField(_("操作后状态"), max_length=20, choices=SubmissionStatus.choices)
    comment = models.TextField(_("说明"), blank=True)
    changes = models.JSONField(_("变动"), default=list, blank=True)

    class Meta:
        verbose_name = _("填报记录")
        verbose_name_plural = _("填报记录")
        ordering = ["submission", "revision", "pk"]

    def __str__(self):
        return f"{self.submission} r{self.revision} {self.get_action_display()}"


class NoticeKind(models.TextChoices):
    REMINDER = "reminder", _("催报提醒")
    REVIEW = "review", _("审核结果")
    PUBLICATION = "publication", _("排名发布")


class Notice(models.Model):
    """An in-app message to a branch's staff, such as the office's reminder to submit a month."""

    branch = models.ForeignKey(Branch, verbose_name=_("接收机构"), on_delete=models.CASCADE, related_name="notices")
    month = models.DateField(_("所涉月份"), null=True, blank=True)
    kind = models.CharField(_("类型"), max_length=20, choices=NoticeKind.choices)
    message = models.CharField(_("内容"), max_length=500)
    link = models.CharField(_("链接"), max_length=200, blank=True)
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发送人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("发送时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.branch} {self.get_kind_display()}"


# ── Official league tables: published revisions, locked complaint figures, corrections ─────────────


class Publication(models.Model):
    """One published revision of a league window (方案 × 1–N月); its run is a frozen snapshot, never recomputed."""

    scheme = models.ForeignKey(Scheme, verbose_name=_("考核方案"), on_delete=models.PROTECT, related_name="publications")
    month = models.PositiveSmallIntegerField(_("截至月份"), validators=MONTH_VALIDATORS)
    revision = models.PositiveIntegerField(_("发布版次"))
    run = models.OneToOneField(ScoreRun, verbose_name=_("计分批次"), on_delete=models.PROTECT, related_name="publication")
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发布人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(_("发布时间"))
    note = models.CharField(_("发布说明"), max_length=500)
    reference = models.CharField(_("公布出处"), max_length=200, blank=True)
    changes = models.JSONField(_("与上一版的差异"), default=list, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("已发布排名")
        verbose_name_plural = _("已发布排名")
        ordering = ["scheme", "month", "revision"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "month", "revision"], name="uniq_publication_revision"),
        ]

    def __str__(self):
        return f"{self.scheme.code} 1–{self.month}月 r{self.revision}"

    @property
    def slug(self) -> str:
        """The revision's part of the window's address: r1, r2…"""
        return f"r{self.revision}"


class LockedDerivedFigure(models.Model):
    """A complaint-derived component of an approved branch × month, as it stood when the month was approved."""

    branch = models.ForeignKey(Branch, verbose_name=_("机构"), on_delete=models.PROTECT, related_name="locked_derived")
    component = models.ForeignKey(Component, verbose_name=_("填报项"), on_delete=models.PROTECT)
    month = models.DateField(_("月份"))
    value = models.DecimalField(_("数值"), max_digits=18, decimal_places=4)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("已锁定的投诉生成数据")
        verbose_name_plural = _("已锁定的投诉生成数据")
        constraints = [
            models.UniqueConstraint(fields=["branch", "component", "month"], name="uniq_locked_derived"),
            models.CheckConstraint(condition=models.Q(month__day=1), name="locked_derived_month_first_day"),
        ]

    def __str__(self):
        return f"{self.branch} {self.month:%Y-%m} {self.component.code}={self.value}"


class CorrectionDecision(models.TextChoices):
    ACCEPTED = "accepted", _("已接受")
    LEFT = "left", _("不予调整")


class DerivedCorrection(models.Model):
    """The office's decision on a complaint change that would alter an approved month: accept it, or leave it with a reason."""

    branch = models.ForeignKey(Branch, verbose_name=_("机构"), on_delete=models.PROTECT, related_name="+")
    component = models.ForeignKey(Component, verbose_name=_("填报项"), on_delete=models.PROTECT)
    month = models.DateField(_("月份"))
    locked_value = models.DecimalField(_("锁定值"), max_digits=18, decimal_places=4)
    live_value = models.DecimalField(_("按投诉记录的现值"), max_digits=18, decimal_places=4)
    decision = models.CharField(_("处理"), max_length=20, choices=CorrectionDecision.choices)
    reason = models.CharField(_("说明"), max_length=300)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("处理人"), null=True, on_delete=models.SET_NULL)
    decided_at = models.DateTimeField(_("处理时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("投诉数据更正")
        verbose_name_plural = _("投诉数据更正")
        ordering = ["-decided_at", "-pk"]

    def __str__(self):
        return f"{self.branch} {self.month:%Y-%m} {self.component.code} {self.locked_value}→{self.live_value}"


# Scheme-level rows that had no history yet: every change of the scheme is kept too (issue 4, item 5).
from simple_history import register as register_history  # noqa: E402

register_history(Scheme)
register_history(QualitativeItem)
register_history(Component)


class RecomputeRequest(models.Model):
    """A window whose ranking must be recomputed: written in the transaction of the change that needs it,
    so a broker that is down when the change commits loses nothing (the outbox, kpi.outbox)."""

    scheme = models.ForeignKey(Scheme, verbose_name=_("考核方案"), on_delete=models.CASCADE, related_name="recompute_requests")
    month = models.PositiveSmallIntegerField(_("截至月份"), validators=MONTH_VALIDATORS)
    requested_at = models.DateTimeField(_("请求时间"))
    dispatched_at = models.DateTimeField(_("派发时间"), null=True, blank=True)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    # The ids of the branches whose figures changed (the run re-reads only the scored branches above them and
    # keeps the others' totals from the window's current run); null: anything may have changed, read everything.
    branches = models.JSONField(_("数据变化的机构"), null=True, blank=True, default=None)
    # Only those branches' entered figures changed, not their complaint-derived components (a monthly form's or a
    # branch's import's save): the run keeps their derived totals from the window's current run too.
    entered_only = models.BooleanField(_("仅填报数据变化"), default=False)

    class Meta:
        verbose_name = _("重算请求")
        verbose_name_plural = _("重算请求")
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "month"], condition=models.Q(done_at__isnull=True), name="one_pending_recompute_per_window"
            ),
        ]

    def __str__(self):
        return f"{self.scheme_id} 1–{self.month}月 {'done' if self.done_at else 'pending'}"


class ImportStatus(models.TextChoices):
    READING = "reading", _("读取中")
    READY = "ready", _("可导入")
    INVALID = "invalid", _("有错误")
    APPLIED = "applied", _("已导入")
    FAILED = "failed", _("读取失败")


class ImportBatch(models.Model):
    """One file or API request of figures through the import pipeline: what it would do (its plan), then what it did.

    A web upload is read and checked by a Celery task (with progress), shown as a preview, and written only when the
    user confirms; an API request with an Idempotency-Key answers a retry with the summary it gave the first time.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    channel = models.CharField(_("渠道"), max_length=10, choices=FigureSource.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("导入人"), on_delete=models.PROTECT, related_name="import_batches")
    scheme = models.ForeignKey(Scheme, verbose_name=_("考核方案"), null=True, blank=True, on_delete=models.SET_NULL)
    file_name = models.CharField(_("文件名"), max_length=200, blank=True)
    sha256 = models.CharField(_("内容摘要"), max_length=64)
    content = models.BinaryField(_("文件内容"), null=True, editable=False)
    chosen_month = models.DateField(_("选择的月份"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.READING)
    progress = models.PositiveSmallIntegerField(_("进度(%)"), default=0)
    summary = models.JSONField(_("导入摘要"), default=dict)
    idempotency_key = models.CharField(_("幂等键"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    applied_at = models.DateTimeField(_("导入时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("数据导入")
        verbose_name_plural = _("数据导入")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "idempotency_key"], condition=~models.Q(idempotency_key=""), name="one_batch_per_idempotency_key"),
        ]

    # The name an API request's JSON figures are stored under (a file of that name is refused by the reader).
    JSON_NAME = "figures.json"

    def __str__(self):
        return f"{self.file_name or self.channel} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_json(self) -> bool:
        """The API's JSON figures rather than a file: read as records, no workbook to mark."""
        return self.channel == FigureSource.API and self.file_name == self.JSON_NAME
