"""Forms for intake, each handling step (built from complaints.steps) and the calendar. They only parse input;
the services decide what is allowed."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from branches.models import User
from branches.permissions import visible_branches
from complaints.choices import CalendarDayKind, Category, Channel, Source
from complaints.steps import Input, Step
from core.inputs import DateFormField, DateTimeFormField


def _today():
    return timezone.localdate()


def _now():
    return timezone.localtime().replace(second=0, microsecond=0)


class BootstrapMixin:
    """Bootstrap classes on every widget."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style()

    def style(self):
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
    received_at = DateTimeFormField(label=_("收到时间"))
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
        self.initial.setdefault("received_at", _now())


class EditForm(BootstrapMixin, forms.Form):
    source = forms.ChoiceField(label=_("来源"), choices=Source.choices)
    channel = forms.ChoiceField(label=_("渠道"), choices=Channel.choices)
    received_at = DateTimeFormField(label=_("收到时间"))
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


def _step_field(spec: Input, user) -> forms.Field:
    """The page's form field of one input of complaints.steps.STEPS."""
    common = {"label": spec.label, "required": spec.required}
    if spec.kind == "date":
        return DateFormField(initial=_today if spec.required else None, **common)
    if spec.kind == "datetime":
        return DateTimeFormField(initial=_now, **common)
    if spec.kind in ("text", "case_number"):
        widget = forms.Textarea(attrs={"rows": 2}) if spec.multiline else None
        return forms.CharField(max_length=spec.length, widget=widget, **common)
    if spec.kind == "choice":
        return forms.ChoiceField(choices=spec.choices.choices, **common)
    if spec.kind == "bool":
        return forms.BooleanField(label=spec.label, required=False)
    if spec.kind == "user":
        return _handler_field(user, required=spec.required)
    raise ValueError(spec.kind)


class StepForm(BootstrapMixin, forms.Form):
    """The form of one step, built from its inputs in complaints.steps (the API builds its serializer from them too)."""

    def __init__(self, *args, step: Step, user, **kwargs):
        self.step = step
        forms.Form.__init__(self, *args, **kwargs)
        for spec in step.inputs:
            self.fields[spec.name] = _step_field(spec, user)
        BootstrapMixin.style(self)


# ---------------------------------------------------------------- calendar


class CalendarDayForm(BootstrapMixin, forms.Form):
    day = DateFormField(label=_("日期"))
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
    start = DateFormField(label=_("起算日"))
    days = forms.IntegerField(label=_("工作日数"), min_value=0, max_value=250, initial=5)
