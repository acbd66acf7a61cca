"""Input and output shapes of the complaints API. Inputs only parse; the services decide."""

import datetime
from zoneinfo import ZoneInfo

from django.utils import translation
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from branches.models import Branch, User
from complaints import selectors
from complaints.choices import Category, Channel, NoticeMethod, PauseKind, Satisfaction, Source
from complaints.models import CaseEvent, ClockRestart, Complaint, Extension, Pause, RepeatCall

SHANGHAI = ZoneInfo("Asia/Shanghai")


@extend_schema_field(OpenApiTypes.DATETIME)
class ReceivedAtField(serializers.Field):
    """ISO 8601 date-time; a date alone means that day (00:00 Asia/Shanghai); no zone means Asia/Shanghai."""

    default_error_messages = {"invalid": "时间格式无效，应为 ISO 8601，例如 2023-10-08T09:30:00+08:00 或 2023-10-08。"}

    def to_internal_value(self, data):
        text = str(data).strip()
        value = parse_datetime(text)
        if value is None:
            day = parse_date(text)
            if day is None:
                self.fail("invalid")
            value = datetime.datetime.combine(day, datetime.time(0, 0))
        if value.tzinfo is None:
            value = value.replace(tzinfo=SHANGHAI)
        return value

    def to_representation(self, value):
        return value.astimezone(SHANGHAI).isoformat()


class BranchCodeField(serializers.CharField):
    """A branch code; an unknown code is refused by name."""

    def to_internal_value(self, data):
        code = super().to_internal_value(data)
        branch = Branch.objects.filter(code=code).first()
        if branch is None:
            raise serializers.ValidationError(f"未知机构代码：{code}")
        return branch


class UsernameField(serializers.CharField):
    def to_internal_value(self, data):
        username = super().to_internal_value(data)
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise serializers.ValidationError(f"找不到用户：{username}")
        return user


def column_text(model, name: str, **kwargs) -> serializers.CharField:
    """Text for a model's column, no longer than the column: too long is a 400 naming the field, not a database error."""
    field = model._meta.get_field(name)
    if field.max_length:
        with translation.override("zh-hans"):
            label = str(field.verbose_name)
        kwargs["max_length"] = field.max_length
        kwargs["error_messages"] = {"max_length": f"{label}不能超过 {field.max_length} 个字。"}
    return serializers.CharField(**kwargs)


class ComplaintCreateInput(serializers.Serializer):
    branch = BranchCodeField(help_text="机构代码，如 nanjing")
    source = serializers.ChoiceField(choices=Source.choices, help_text="regulator 监管转办 / self 自收")
    received_at = ReceivedAtField(help_text="收到时间，ISO 8601；只写日期表示当天")
    category = serializers.ChoiceField(choices=Category.choices)
    summary = serializers.CharField(help_text="投诉内容", allow_blank=True)
    customer_name = column_text(Complaint, "customer_name", allow_blank=True)
    customer_phone = column_text(Complaint, "customer_phone", required=False, allow_blank=True, default="")
    customer_id_number = column_text(Complaint, "customer_id_number", required=False, allow_blank=True, default="")
    policy_number = column_text(Complaint, "policy_number", required=False, allow_blank=True, default="")
    channel = serializers.ChoiceField(choices=Channel.choices, required=False, default="", help_text="默认：监管转办或客服热线")
    regulator_ref = column_text(Complaint, "regulator_ref", required=False, allow_blank=True, default="")
    material_complete = serializers.BooleanField(required=False, default=True)
    is_major = serializers.BooleanField(required=False, default=False)
    major_reason = column_text(Complaint, "major_reason", required=False, allow_blank=True, default="")
    handler = UsernameField(required=False, help_text="经办人用户名")


class DeadlineOutput(serializers.Serializer):
    label = serializers.CharField()
    due_on = serializers.DateField(allow_null=True)
    official = serializers.BooleanField()
    state = serializers.CharField()
    steps = serializers.ListField(child=serializers.CharField())
    done_on = serializers.DateField(allow_null=True)
    met = serializers.BooleanField(required=False)


class ComplaintListOutput(serializers.ModelSerializer):
    """A case as lists show it; personal data masked unless the caller handles the branch's cases."""

    branch = serializers.CharField(source="branch.code")
    branch_name = serializers.CharField(source="branch.name")
    received_at = ReceivedAtField()
    handler = serializers.CharField(source="handler.username", allow_null=True, default=None)
    status_display = serializers.CharField(source="get_status_display")

    class Meta:
        model = Complaint
        fields = [
            "id",
            "number",
            "branch",
            "branch_name",
            "source",
            "channel",
            "received_at",
            "received_on",
            "regulator_ref",
            "customer_name",
            "customer_phone",
            "customer_id_number",
            "policy_number",
            "category",
            "summary",
            "handler",
            "status",
            "status_display",
            "decision_due_on",
            "limit15_due_on",
            "ended_on",
            "is_overdue",
            "overdue_on",
            "is_major",
            "calendar_official",
            "counts_in_figures",
        ]

    def to_representation(self, case):
        data = super().to_representation(case)
        if "masker" not in self.context:  # one per response: the permission is asked once per branch
            self.context["masker"] = selectors.customer_masker(user=self.context["request"].user)
        data.update(self.context["masker"](case))
        return data


class ExtensionOutput(serializers.ModelSerializer):
    class Meta:
        model = Extension
        fields = ["granted_on", "limit_days", "approver", "reason"]


class PauseOutput(serializers.ModelSerializer):
    class Meta:
        model = Pause
        fields = ["id", "kind", "started_on", "ended_on", "note"]


class RestartOutput(serializers.ModelSerializer):
    class Meta:
        model = ClockRestart
        fields = ["restarted_on", "reason"]


class RepeatCallOutput(serializers.ModelSerializer):
    called_at = ReceivedAtField()

    class Meta:
        model = RepeatCall
        fields = ["called_at", "note"]


class ComplaintDetailOutput(ComplaintListOutput):
    """A case with its deadlines (and how each was computed) and its recorded steps."""

    decision_due_explanation = serializers.SerializerMethodField()
    deadlines = serializers.SerializerMethodField()
    extensions = ExtensionOutput(many=True)
    pauses = PauseOutput(many=True)
    restarts = RestartOutput(many=True)
    repeat_calls = RepeatCallOutput(many=True)
    merged_into = serializers.CharField(source="merged_into.number", allow_null=True, default=None)

    class Meta(ComplaintListOutput.Meta):
        fields = ComplaintListOutput.Meta.fields + [
            "decision_due_explanation",
            "deadlines",
            "clock_started_on",
            "material_complete",
            "material_requested_on",
            "material_completed_on",
            "accepted_on",
            "joint_sheet_sent_on",
            "joint_sheet_due_on",
            "joint_sheet_answered_on",
            "decision",
            "decision_reasons",
            "decided_on",
            "notice_on",
            "notice_method",
            "closed_on",
            "withdrawn_on",
            "merged_into",
            "merged_on",
            "overdue_reason",
            "major_reason",
            "mediation_required_on",
            "mediated_on",
            "agreement_on",
            "agreement_executed_on",
            "callback_on",
            "satisfaction",
            "extensions",
            "pauses",
            "restarts",
            "repeat_calls",
        ]

    def get_decision_due_explanation(self, case) -> list[str]:
        return (case.deadlines.get("decision") or {}).get("steps", [])

    @extend_schema_field(DeadlineOutput(many=True))
    def get_deadlines(self, case) -> list[dict]:
        return [dict(entry, key=key) for key, entry in case.deadlines.items()]


class EventOutput(serializers.ModelSerializer):
    at = ReceivedAtField()
    kind = serializers.CharField(help_text="事项代码")
    actor = serializers.CharField(source="actor.username", allow_null=True, default=None)
    kind_display = serializers.CharField(source="get_kind_display")

    class Meta:
        model = CaseEvent
        fields = ["at", "kind", "kind_display", "message", "actor"]


# ---------------------------------------------------------------- step inputs


class AcceptInput(serializers.Serializer):
    accepted_on = serializers.DateField()
    handler = UsernameField(required=False)


class AssignInput(serializers.Serializer):
    handler = UsernameField()


class MaterialRequestInput(serializers.Serializer):
    requested_on = serializers.DateField()


class MaterialCompleteInput(serializers.Serializer):
    completed_on = serializers.DateField()


class InvestigateInput(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class JointSheetSendInput(serializers.Serializer):
    sent_on = serializers.DateField()


class JointSheetAnswerInput(serializers.Serializer):
    answered_on = serializers.DateField()


class ExtendInput(serializers.Serializer):
    granted_on = serializers.DateField()
    approver = column_text(Extension, "approver", required=False, allow_blank=True, default="", help_text="批准人（必填）")
    reason = serializers.CharField(required=False, allow_blank=True, default="", help_text="延期原因（必填）")


class PauseInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=PauseKind.choices)
    started_on = serializers.DateField()
    note = column_text(Pause, "note", required=False, allow_blank=True, default="")


class ResumeInput(serializers.Serializer):
    ended_on = serializers.DateField()


class RestartInput(serializers.Serializer):
    restarted_on = serializers.DateField()
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class DecideInput(serializers.Serializer):
    decided_on = serializers.DateField()
    decision = serializers.CharField(required=False, allow_blank=True, default="")
    reasons = serializers.CharField(required=False, allow_blank=True, default="")


class NotifyInput(serializers.Serializer):
    notice_on = serializers.DateField()
    notice_method = serializers.ChoiceField(choices=NoticeMethod.choices, source="method")


class CloseInput(serializers.Serializer):
    closed_on = serializers.DateField()


class WithdrawInput(serializers.Serializer):
    withdrawn_on = serializers.DateField()
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class MergeInput(serializers.Serializer):
    into = column_text(Complaint, "number", help_text="被并入案件的编号")
    merged_on = serializers.DateField()
    new_facts = serializers.BooleanField(required=False, default=False)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class RepeatCallInput(serializers.Serializer):
    called_at = ReceivedAtField()
    note = column_text(RepeatCall, "note", required=False, allow_blank=True, default="")


class MediationInput(serializers.Serializer):
    mediation_required_on = serializers.DateField(required=False, allow_null=True, default=None)
    mediated_on = serializers.DateField(required=False, allow_null=True, default=None)
    agreement_on = serializers.DateField(required=False, allow_null=True, default=None)
    agreement_executed_on = serializers.DateField(required=False, allow_null=True, default=None)


class CallbackInput(serializers.Serializer):
    callback_on = serializers.DateField()
    satisfaction = serializers.ChoiceField(choices=Satisfaction.choices)


class MajorInput(serializers.Serializer):
    is_major = serializers.BooleanField()
    reason = column_text(Complaint, "major_reason", required=False, allow_blank=True, default="")


class OverdueReasonInput(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class AddWorkdaysInput(serializers.Serializer):
    start = serializers.DateField(help_text="起算日 YYYY-MM-DD（当日不计）")
    days = serializers.IntegerField(min_value=0, max_value=366, help_text="工作日数 N")

    def validate_start(self, value):
        if not 1990 <= value.year <= 2199:
            raise serializers.ValidationError("起算日应在1990年至2199年之间。")
        return value


class AddWorkdaysOutput(serializers.Serializer):
    date = serializers.DateField(help_text="第 N 个工作日")
    official = serializers.BooleanField(help_text="计入的日子都在已录入正式放假安排的年份时为 true")
