"""Forms for intake and each handling step. They only parse input; the services decide what is allowed."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from branches.models import User
from branches.permissions import visible_branches
from complaints.choices import CalendarDayKind, Category, Channel, NoticeMethod, PauseKind, Satisfaction, Source

DATE = {"widget": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"]


def _datetime_field(label, **kwargs):
    return forms.DateTimeField(
        label=label,
        input_formats=DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        **kwargs,
    )


def _today():
    return timezone.localdate()


class BootstrapMixin:
    """Bootstrap classes on every widget."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")


def _handler_field(user, required=False):
    ids = visible_branches(user).values_list("pk", flat=True)
    return forms.ModelChoiceField(
        label=_("经办人"),
        required=required,
        queryset=User.objects.filter(branch_id__in=ids, is_active=True).order_by("username"),
    )


class IntakeForm(BootstrapMixin, forms.Form):
    branch = forms.ModelChoiceField(label=_("机构"), queryset=None, to_field_name="code")
    source = forms.ChoiceField(label=_("来源"), choices=Source.choices)
    channel = forms.ChoiceField(label=_("渠道"), choices=Channel.choices)
    received_at = _datetime_field(_("收到时间"))
    regulator_ref = forms.CharField(label=_("监管转办编号"), required=False, max_length=80)
    customer_name = forms.CharField(label=_("客户姓名"), max_length=60)
    customer_phone = forms.CharField(label=_("联系电话"), required=False, max_length=30)
    customer_id_number = forms.CharField(label=_("证件号码"), required=False, max_length=30)
    policy_number = forms.CharField(label=_("保单号"), required=False, max_length=40)
    category = forms.ChoiceField(label=_("投诉类别"), choices=Category.choices)
    summary = forms.CharField(label=_("投诉内容"), widget=forms.Textarea(attrs={"rows": 4}))
    material_complete = forms.BooleanField(label=_("材料齐全"), required=False, initial=True)
    is_major = forms.BooleanField(label=_("重大投诉"), required=False)
    major_reason = forms.CharField(label=_("重大投诉情形"), required=False, max_length=300)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = visible_branches(user)
        self.fields["handler"] = _handler_field(user)
        self.fields["handler"].widget.attrs["class"] = "form-select"
        if user.branch_id and not self.is_bound:
            self.initial.setdefault("branch", user.branch.code)
        self.initial.setdefault("received_at", timezone.localtime().replace(second=0, microsecond=0))


class EditForm(BootstrapMixin, forms.Form):
    source = forms.ChoiceField(label=_("来源"), choices=Source.choices)
    channel = forms.ChoiceField(label=_("渠道"), choices=Channel.choices)
    received_at = _datetime_field(_("收到时间"))
    regulator_ref = forms.CharField(label=_("监管转办编号"), required=False, max_length=80)
    customer_name = forms.CharField(label=_("客户姓名"), max_length=60)
    customer_phone = forms.CharField(label=_("联系电话"), required=False, max_length=30)
    customer_id_number = forms.CharField(label=_("证件号码"), required=False, max_length=30)
    policy_number = forms.CharField(label=_("保单号"), required=False, max_length=40)
    category = forms.ChoiceField(label=_("投诉类别"), choices=Category.choices)
    summary = forms.CharField(label=_("投诉内容"), widget=forms.Textarea(attrs={"rows": 4}))

    PERSONAL = ("customer_name", "customer_phone", "customer_id_number")

    def __init__(self, *args, personal_data: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not personal_data:  # people who see masked data cannot overwrite it with the mask
            for name in self.PERSONAL:
                del self.fields[name]


# ---------------------------------------------------------------- steps


class AcceptForm(BootstrapMixin, forms.Form):
    accepted_on = forms.DateField(label=_("受理日期"), initial=_today, **DATE)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["handler"] = _handler_field(user)
        self.fields["handler"].widget.attrs["class"] = "form-select"


class AssignForm(BootstrapMixin, forms.Form):
    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["handler"] = _handler_field(user, required=True)
        self.fields["handler"].widget.attrs["class"] = "form-select"


class MaterialRequestForm(BootstrapMixin, forms.Form):
    requested_on = forms.DateField(label=_("告知补正日期"), initial=_today, **DATE)


class MaterialCompleteForm(BootstrapMixin, forms.Form):
    completed_on = forms.DateField(label=_("材料补正齐全日期"), initial=_today, **DATE)


class InvestigateForm(BootstrapMixin, forms.Form):
    note = forms.CharField(label=_("调查安排"), required=False, max_length=300)


class JointSheetSendForm(BootstrapMixin, forms.Form):
    sent_on = forms.DateField(label=_("会办单发出日期"), initial=_today, **DATE)


class JointSheetAnswerForm(BootstrapMixin, forms.Form):
    answered_on = forms.DateField(label=_("会办单回复日期"), initial=_today, **DATE)


class ExtendForm(BootstrapMixin, forms.Form):
    granted_on = forms.DateField(label=_("批准日期"), initial=_today, **DATE)
    approver = forms.CharField(label=_("批准人"), required=False, max_length=60)
    reason = forms.CharField(label=_("延期原因"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class PauseForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("中止原因"), choices=PauseKind.choices)
    started_on = forms.DateField(label=_("开始日期"), initial=_today, **DATE)
    note = forms.CharField(label=_("说明"), required=False, max_length=300)


class ResumeForm(BootstrapMixin, forms.Form):
    ended_on = forms.DateField(label=_("恢复计时日期"), initial=_today, **DATE)


class RestartForm(BootstrapMixin, forms.Form):
    restarted_on = forms.DateField(label=_("收到新事实和理由的日期"), initial=_today, **DATE)
    reason = forms.CharField(label=_("新的事实和理由"), required=False, max_length=300)


class DecideForm(BootstrapMixin, forms.Form):
    decided_on = forms.DateField(label=_("决定日期"), initial=_today, **DATE)
    decision = forms.CharField(label=_("处理决定"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    reasons = forms.CharField(label=_("决定理由"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class NotifyForm(BootstrapMixin, forms.Form):
    notice_on = forms.DateField(label=_("告知日期"), initial=_today, **DATE)
    method = forms.ChoiceField(label=_("告知方式"), choices=NoticeMethod.choices)


class CloseForm(BootstrapMixin, forms.Form):
    closed_on = forms.DateField(label=_("结案日期"), initial=_today, **DATE)


class WithdrawForm(BootstrapMixin, forms.Form):
    withdrawn_on = forms.DateField(label=_("撤回日期"), initial=_today, **DATE)
    reason = forms.CharField(label=_("说明"), required=False, max_length=300)


class MergeForm(BootstrapMixin, forms.Form):
    into = forms.CharField(label=_("并入案件编号"), max_length=40)
    merged_on = forms.DateField(label=_("合并日期"), initial=_today, **DATE)
    new_facts = forms.BooleanField(label=_("有新的事实和理由（被并入案件重新计时）"), required=False)
    reason = forms.CharField(label=_("说明"), required=False, max_length=300)


class RepeatCallForm(BootstrapMixin, forms.Form):
    called_at = _datetime_field(_("来电时间"), initial=lambda: timezone.localtime().replace(second=0, microsecond=0))
    note = forms.CharField(label=_("来电内容"), required=False, max_length=300)


class MediationForm(BootstrapMixin, forms.Form):
    mediation_required_on = forms.DateField(label=_("认定应调解日期"), required=False, **DATE)
    mediated_on = forms.DateField(label=_("调解日期"), required=False, **DATE)
    agreement_on = forms.DateField(label=_("达成调解协议日期"), required=False, **DATE)
    agreement_executed_on = forms.DateField(label=_("调解协议履行日期"), required=False, **DATE)


class CallbackForm(BootstrapMixin, forms.Form):
    callback_on = forms.DateField(label=_("回访日期"), initial=_today, **DATE)
    satisfaction = forms.ChoiceField(label=_("满意度"), choices=Satisfaction.choices)


class MajorForm(BootstrapMixin, forms.Form):
    is_major = forms.BooleanField(label=_("重大投诉"), required=False)
    reason = forms.CharField(label=_("情形说明"), required=False, max_length=300)


class OverdueReasonForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label=_("超期原因"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


# ---------------------------------------------------------------- calendar


class CalendarDayForm(BootstrapMixin, forms.Form):
    day = forms.DateField(label=_("日期"), **DATE)
    kind = forms.ChoiceField(label=_("类型"), choices=CalendarDayKind.choices)
    name = forms.CharField(label=_("名称"), required=False, max_length=60)


class CalendarImportForm(BootstrapMixin, forms.Form):
    year = forms.IntegerField(label=_("年份"), min_value=2000, max_value=2100)
    notice = forms.CharField(
        label=_("通知文号或说明"), required=False, max_length=200, help_text=_("例如：国办发明电〔2026〕X号")
    )
    file = forms.FileField(label=_("文件(.csv 或 .xlsx)"), required=False)
    text = forms.CharField(
        label=_("或粘贴"),
        required=False,
        max_length=20_000,  # 366 lines of date, kind and name
        widget=forms.Textarea(attrs={"rows": 8, "placeholder": "2027-10-01,休,国庆节\n2027-09-26,班,国庆节调休上班"}),
    )


class WorkdayCalculatorForm(BootstrapMixin, forms.Form):
    start = forms.DateField(label=_("起算日"), **DATE)
    days = forms.IntegerField(label=_("工作日数"), min_value=0, max_value=250, initial=5)

    def clean_start(self):
        start = self.cleaned_data["start"]
        if not 1990 <= start.year <= 2199:
            raise forms.ValidationError(_("起算日应在1990年至2199年之间。"))
        return start
