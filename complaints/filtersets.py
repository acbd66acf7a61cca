"""One FilterSet drives the case list page, its export and the API's `?field=` filters."""

import datetime

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from branches.models import Branch
from branches.permissions import visible_branches
from complaints import selectors
from complaints.choices import OPEN_STATUSES, Category, Channel, Source, Status
from complaints.models import Complaint
from core import inputs, parsing

YES_NO = [("", _("不限")), ("true", _("是")), ("false", _("否"))]


class ComplaintFilter(django_filters.FilterSet):
    branch = django_filters.ModelChoiceFilter(
        label=_("机构"),
        queryset=Branch.objects.all(),
        to_field_name="code",
        method="filter_branch",
        empty_label=_("全部"),
        help_text=_("机构代码；含下属机构"),
    )
    source = django_filters.ChoiceFilter(label=_("来源"), choices=Source.choices, empty_label=_("全部"))
    status = django_filters.MultipleChoiceFilter(label=_("状态"), choices=Status.choices)
    category = django_filters.ChoiceFilter(label=_("投诉类别"), choices=Category.choices, empty_label=_("全部"))
    channel = django_filters.ChoiceFilter(label=_("渠道"), choices=Channel.choices, empty_label=_("全部"))
    open = django_filters.BooleanFilter(label=_("未办结"), method="filter_open", widget=forms.Select(choices=YES_NO))
    due_within = inputs.DayCountFilter(
        label=_("N日内到期"), method="filter_due_within", help_text=_("处理期限在今天起 N 日内的未办结案件")
    )
    overdue = django_filters.BooleanFilter(label=_("超期"), method="filter_overdue", widget=forms.Select(choices=YES_NO))
    is_major = django_filters.BooleanFilter(label=_("重大投诉"), widget=forms.Select(choices=YES_NO))
    received_from = inputs.DateFilter(label=_("收到日期自"), field_name="received_on", lookup_expr="gte")
    received_to = inputs.DateFilter(label=_("收到日期至"), field_name="received_on", lookup_expr="lte")
    figure = django_filters.ChoiceFilter(
        label=_("考核数据口径"),
        choices=[(code, rule.label) for code, rule in selectors.COMPONENT_RULES.items()],
        method="filter_figure",
        empty_label=_("不限"),
        help_text=_("列出构成某项考核数据的案件；与 month_from、month_to 一起使用"),
    )
    month_from = inputs.MonthFilter(label=_("自月份(YYYY-MM)"), method="filter_noop")
    month_to = inputs.MonthFilter(label=_("至月份(YYYY-MM)"), method="filter_noop")
    q = django_filters.CharFilter(label=_("编号/保单号/转办编号"), method="filter_q")

    class Meta:
        model = Complaint
        fields = ["branch", "source", "status", "category", "channel", "is_major"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            is_select = isinstance(field.widget, forms.Select)
            field.widget.attrs.setdefault("class", "form-select form-select-sm" if is_select else "form-control form-control-sm")
        user = getattr(self.request, "user", None)
        if user is not None:
            self.filters["branch"].queryset = visible_branches(user)
            self.form.fields["branch"].queryset = visible_branches(user)

    @staticmethod
    def today() -> datetime.date:
        return timezone.localdate()

    def filter_branch(self, queryset, name, value):
        return queryset.filter(branch_id__in=value.descendant_ids()) if value else queryset

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(status__in=OPEN_STATUSES) if value else queryset.exclude(status__in=OPEN_STATUSES)

    def filter_due_within(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(selectors.due_within_q(self.today(), value))

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        q = selectors.overdue_q(self.today())
        return queryset.filter(q) if value else queryset.exclude(q)

    def filter_noop(self, queryset, name, value):
        return queryset

    def filter_figure(self, queryset, name, value):
        if not value:
            return queryset
        start = self.form.cleaned_data.get("month_from") or parsing.FIRST_DAY
        end = self.form.cleaned_data.get("month_to") or parsing.LAST_DAY.replace(day=1)
        return selectors.component_cases(component=value, start=start, end=end, queryset=queryset)

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(number=selectors.normalise_number(value)) | Q(policy_number=value) | Q(regulator_ref=value))
