"""Input and output shapes of the complaints API. Inputs only parse; the services decide."""

from django.utils import translation
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from branches.models import Branch, User
from complaints import selectors
from complaints.choices import Category, Channel, Source
from complaints.models import CaseEvent, ClockRestart, Complaint, Extension, Pause, RepeatCall
from complaints.steps import STEPS, Input, Step
from core.inputs import ApiDateField, ApiDateTimeField

# Received, called and event times: ISO 8601 in (bounded by core.parsing), RFC 3339 with +08:00 out.
ReceivedAtField = ApiDateTimeField


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


def _step_api_field(spec: Input) -> serializers.Field:
    """The API field of one input of complaints.steps.STEPS (the page builds its form field from the same)."""
    optional = {} if spec.required else {"required": False}
    common = {"help_text": spec.help_text or str(spec.label)}
    if spec.kind == "date":
        return ApiDateField(**common, **optional, **({} if spec.required else {"allow_null": True, "default": None}))
    if spec.kind == "datetime":
        return ApiDateTimeField(**common, **optional)
    if spec.kind == "text":
        return _bounded_text(spec, required=False, allow_blank=True, default="", **common)
    if spec.kind == "case_number":
        return _bounded_text(spec, **common)
    if spec.kind == "choice":
        return serializers.ChoiceField(choices=spec.choices.choices, **common, **optional)
    if spec.kind == "bool":
        return serializers.BooleanField(**common, **({} if spec.required else {"required": False, "default": False}))
    if spec.kind == "user":
        return UsernameField(**common, **optional)
    raise ValueError(spec.kind)


def _bounded_text(spec: Input, **kwargs) -> serializers.CharField:
    with translation.override("zh-hans"):
        label = str(spec.label)
    kwargs["error_messages"] = {"max_length": f"{label}不能超过 {spec.length} 个字。"}
    return serializers.CharField(max_length=spec.length, **kwargs)


def step_input_class(step: Step) -> type[serializers.Serializer]:
    """The input serializer of one step (e.g. ExtendInput), its fields from the step's inputs."""
    name = "".join(p.title() for p in step.name.split("-")) + "Input"
    fields = {spec.name: _step_api_field(spec) for spec in step.inputs}
    return type(name, (serializers.Serializer,), fields)


STEP_INPUTS = {name: step_input_class(step) for name, step in STEPS.items()}


class AddWorkdaysInput(serializers.Serializer):
    start = ApiDateField(help_text="起算日 YYYY-MM-DD（当日不计）")
    days = serializers.IntegerField(min_value=0, max_value=366, help_text="工作日数 N")


class AddWorkdaysOutput(serializers.Serializer):
    date = serializers.DateField(help_text="第 N 个工作日")
    official = serializers.BooleanField(help_text="计入的日子都在已录入正式放假安排的年份时为 true")
