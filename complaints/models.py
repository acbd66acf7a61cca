"""Complaint cases, their timeline and deadlines, and the working-day calendar."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from branches.models import Branch
from complaints.choices import (
    OPEN_STATUSES,
    CalendarDayKind,
    CalendarSource,
    Category,
    Channel,
    EventKind,
    NoticeMethod,
    PauseKind,
    Satisfaction,
    Source,
    Status,
)
from core.models import TimeStampedModel


class CalendarYear(TimeStampedModel):
    """A year whose official holiday schedule is entered; other years fall back to Mon–Fri minus statutory holidays."""

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    source = models.CharField(_("来源"), max_length=20, choices=CalendarSource.choices, default=CalendarSource.OFFICE)
    notice = models.CharField(_("通知文号或说明"), max_length=200, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("放假安排年度")
        verbose_name_plural = _("放假安排年度")
        ordering = ["-year"]

    def __str__(self):
        return f"{self.year}年"


class CalendarDay(models.Model):
    """A day that departs from Monday–Friday in an entered year: a holiday (休) or a make-up working day (班)."""

    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=20, choices=CalendarDayKind.choices)
    name = models.CharField(_("名称"), max_length=60, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("节假日与调休")
        verbose_name_plural = _("节假日与调休")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {self.get_kind_display()} {self.name}"


class CaseNumberSequence(models.Model):
    """The last case number given in a branch and year (row-locked when a number is taken)."""

    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["branch", "year"], name="uniq_case_number_sequence")]

    def __str__(self):
        return f"{self.branch_id}/{self.year}: {self.last}"


class ComplaintQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN_STATUSES)


class Complaint(TimeStampedModel):
    """A consumer complaint case (投诉案件) of one branch, from receipt to closing."""

    number = models.CharField(_("投诉编号"), max_length=40, unique=True)
    branch = models.ForeignKey(Branch, verbose_name=_("机构"), on_delete=models.PROTECT, related_name="complaints")
    source = models.CharField(_("来源"), max_length=20, choices=Source.choices)
    channel = models.CharField(_("渠道"), max_length=20, choices=Channel.choices)
    received_at = models.DateTimeField(_("收到时间"))
    # The receipt date in Asia/Shanghai, kept as a column: limits, filters and monthly counts use it.
    received_on = models.DateField(_("收到日期"))
    regulator_ref = models.CharField(_("监管转办编号"), max_length=80, blank=True)
    customer_name = models.CharField(_("客户姓名"), max_length=60)
    customer_phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    customer_id_number = models.CharField(_("证件号码"), max_length=30, blank=True)
    policy_number = models.CharField(_("保单号"), max_length=40, blank=True)
    category = models.CharField(_("投诉类别"), max_length=20, choices=Category.choices)
    summary = models.TextField(_("投诉内容"))
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("经办人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.RECEIVED)
    is_major = models.BooleanField(_("重大投诉"), default=False)
    major_reason = models.CharField(_("重大投诉说明"), max_length=300, blank=True)

    # Material and acceptance (working-day limits).
    material_complete = models.BooleanField(_("材料齐全"), default=True)
    material_requested_on = models.DateField(_("告知补正日期"), null=True, blank=True)
    material_completed_on = models.DateField(_("材料补正齐全日期"), null=True, blank=True)
    accepted_on = models.DateField(_("受理日期"), null=True, blank=True)
    joint_sheet_sent_on = models.DateField(_("会办单发出日期"), null=True, blank=True)
    joint_sheet_answered_on = models.DateField(_("会办单回复日期"), null=True, blank=True)

    # Decision and notice.
    decision = models.TextField(_("处理决定"), blank=True)
    decision_reasons = models.TextField(_("决定理由"), blank=True)
    decided_on = models.DateField(_("决定日期"), null=True, blank=True)
    notice_on = models.DateField(_("告知日期"), null=True, blank=True)
    notice_method = models.CharField(_("告知方式"), max_length=20, choices=NoticeMethod.choices, blank=True)
    closed_on = models.DateField(_("结案日期"), null=True, blank=True)
    withdrawn_on = models.DateField(_("撤回日期"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", verbose_name=_("并入案件"), null=True, blank=True, on_delete=models.PROTECT, related_name="merged_cases"
    )
    merged_on = models.DateField(_("合并日期"), null=True, blank=True)

    # Deadlines, recomputed by the services from the facts above and the child rows.
    clock_started_on = models.DateField(_("计时起点"))
    decision_due_on = models.DateField(_("处理期限"), null=True, blank=True)
    limit15_due_on = models.DateField(_("15日办结期限"), null=True, blank=True)
    joint_sheet_due_on = models.DateField(_("会办单回复期限"), null=True, blank=True)
    ended_on = models.DateField(_("办结日期"), null=True, blank=True)
    deadlines = models.JSONField(_("期限计算说明"), default=dict)
    calendar_official = models.BooleanField(_("按正式放假安排计算"), default=True)
    is_overdue = models.BooleanField(_("超期"), default=False)
    overdue_on = models.DateField(_("超期起始日"), null=True, blank=True)
    overdue_reason = models.TextField(_("超期原因"), blank=True)
    # Merged cases and cases withdrawn before acceptance are not complaints the figures count.
    counts_in_figures = models.BooleanField(_("计入统计"), default=True)

    # Mediation (纠纷化解) and the satisfaction call-back.
    mediation_required_on = models.DateField(_("认定应调解日期"), null=True, blank=True)
    mediated_on = models.DateField(_("调解日期"), null=True, blank=True)
    agreement_on = models.DateField(_("达成调解协议日期"), null=True, blank=True)
    agreement_executed_on = models.DateField(_("调解协议履行日期"), null=True, blank=True)
    callback_on = models.DateField(_("回访日期"), null=True, blank=True)
    satisfaction = models.CharField(_("满意度"), max_length=20, choices=Satisfaction.choices, blank=True)

    history = HistoricalRecords(excluded_fields=["deadlines", "updated_at"])
    objects = ComplaintQuerySet.as_manager()

    class Meta:
        verbose_name = _("投诉案件")
        verbose_name_plural = _("投诉案件")
        ordering = ["-received_at", "-pk"]
        indexes = [
            models.Index(fields=["branch", "-received_at"], name="complaint_branch_received"),
            models.Index(fields=["branch", "received_on", "source"], name="complaint_branch_month"),
            models.Index(fields=["status", "decision_due_on"], name="complaint_status_due"),
            models.Index(fields=["is_overdue", "branch"], name="complaint_overdue"),
            models.Index(fields=["branch", "mediation_required_on"], name="complaint_mediation"),
            models.Index(fields=["branch", "agreement_on"], name="complaint_agreement"),
            models.Index(fields=["branch", "overdue_on"], name="complaint_overdue_on"),
            models.Index(fields=["category", "received_on"], name="complaint_category"),
            # The list's search box matches these exactly (complaints.filtersets.ComplaintFilter.filter_q).
            models.Index(fields=["policy_number"], name="complaint_policy_number"),
            models.Index(fields=["regulator_ref"], name="complaint_regulator_ref"),
        ]

    def __str__(self):
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class Extension(models.Model):
    """An extension of the decision limit (15 → 30 → 60 days) with its approver and reason."""

    case = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="extensions")
    granted_on = models.DateField(_("批准日期"))
    limit_days = models.PositiveSmallIntegerField(_("延长至(日)"))
    approver = models.CharField(_("批准人"), max_length=60)
    reason = models.TextField(_("延期原因"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("延期")
        verbose_name_plural = _("延期")
        ordering = ["granted_on", "pk"]

    def __str__(self):
        return f"{self.granted_on} 延期至{self.limit_days}日"


class Pause(models.Model):
    """Time not counted toward the limit: outside appraisal or mediation, from start to end."""

    case = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="pauses")
    kind = models.CharField(_("中止原因"), max_length=20, choices=PauseKind.choices)
    started_on = models.DateField(_("开始日期"))
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("中止计时")
        verbose_name_plural = _("中止计时")
        ordering = ["started_on", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.started_on}–{self.ended_on or ''}"


class ClockRestart(models.Model):
    """New facts or reasons arrived: the decision limit restarts from that day."""

    case = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="restarts")
    restarted_on = models.DateField(_("重新计时日期"))
    reason = models.TextField(_("原因"))  # a merge quotes the repeat's number before the customer's reason
    from_case = models.ForeignKey(Complaint, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("重新计时")
        verbose_name_plural = _("重新计时")
        ordering = ["restarted_on", "pk"]

    def __str__(self):
        return f"{self.restarted_on} 重新计时"


class RepeatCall(models.Model):
    """The customer called again while the case was transferred for handling (重复来电)."""

    case = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="repeat_calls")
    called_at = models.DateTimeField(_("来电时间"), db_index=True)
    note = models.CharField(_("来电内容"), max_length=300, blank=True)
    logged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("重复来电")
        verbose_name_plural = _("重复来电")
        ordering = ["called_at", "pk"]

    def __str__(self):
        return f"{timezone.localtime(self.called_at):%Y-%m-%d %H:%M} 重复来电"  # Asia/Shanghai, not UTC


class CaseEvent(models.Model):
    """One entry of a case's timeline, written by the service that made the change."""

    case = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("事项"), max_length=30, choices=EventKind.choices)
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.TextField(_("内容"))
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("案件时间线")
        verbose_name_plural = _("案件时间线")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["case", "at"], name="case_event_case_at")]

    def __str__(self):
        return f"{self.get_kind_display()}：{self.message[:40]}"
