"""REST endpoints of the complaints app: one thin view per operation, scoped by branches.permissions.

Reading another branch's case answers 404; registering a case for another branch answers 403; a rule
the services refuse answers 400 with the reason in Chinese (core.api.exception_handler).
"""

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from branches.permissions import can_view_branch
from complaints import deadlines as dl
from complaints import selectors, services
from complaints.api import serializers as s
from complaints.filtersets import ComplaintFilter


class ComplaintListCreateApi(GenericAPIView):
    """List the cases the caller may see (filtered, paginated) or register a new one."""

    filter_backends = [DjangoFilterBackend]
    filterset_class = ComplaintFilter
    serializer_class = s.ComplaintListOutput

    def get_queryset(self):
        return selectors.complaint_queryset(user=self.request.user)

    @extend_schema(operation_id="complaints_list", summary="投诉案件列表", responses=s.ComplaintListOutput(many=True))
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(s.ComplaintListOutput(page, many=True, context={"request": request}).data)

    @extend_schema(
        operation_id="complaints_create",
        summary="登记投诉",
        request=s.ComplaintCreateInput,
        responses={201: s.ComplaintDetailOutput},
    )
    def post(self, request):
        data = s.ComplaintCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        branch = fields.pop("branch")
        if not can_view_branch(request.user, branch):
            raise PermissionDenied("无权为该机构登记投诉。")
        case = services.complaint_create(actor=request.user, branch=branch, **fields)
        return Response(_detail(request, case.pk), status=status.HTTP_201_CREATED)


def _detail(request, pk: int) -> dict:
    return s.ComplaintDetailOutput(selectors.complaint_get(user=request.user, pk=pk), context={"request": request}).data


class ComplaintDetailApi(APIView):
    @extend_schema(
        operation_id="complaints_retrieve", summary="投诉案件详情（含各项期限及计算过程）", responses=s.ComplaintDetailOutput
    )
    def get(self, request, pk: int):
        return Response(_detail(request, pk))


class ComplaintTimelineApi(APIView):
    @extend_schema(operation_id="complaints_timeline", summary="案件时间线", responses=s.EventOutput(many=True))
    def get(self, request, pk: int):
        case = selectors.complaint_get(user=request.user, pk=pk)
        return Response(s.EventOutput(selectors.complaint_timeline(case=case), many=True).data)


def _svc(fn):
    return lambda actor, case, data: fn(actor=actor, case=case, **data)


# name in the URL → (input, what it does, summary)
STEPS: dict[str, tuple[type, Callable, str]] = {
    "accept": (s.AcceptInput, _svc(services.complaint_accept), "受理"),
    "assign": (s.AssignInput, _svc(services.complaint_assign), "指定经办人"),
    "material-request": (s.MaterialRequestInput, _svc(services.complaint_material_request), "告知补正材料（5个工作日内）"),
    "material-complete": (
        s.MaterialCompleteInput,
        _svc(services.complaint_material_complete),
        "材料补正齐全（10个工作日内告知是否受理）",
    ),
    "investigate": (s.InvestigateInput, _svc(services.complaint_investigate), "开始调查"),
    "joint-sheet": (s.JointSheetSendInput, _svc(services.complaint_joint_sheet_send), "发出会办单（5个工作日内回复）"),
    "joint-sheet-answer": (s.JointSheetAnswerInput, _svc(services.complaint_joint_sheet_answer), "会办单回复"),
    "extend": (s.ExtendInput, _svc(services.complaint_extend), "延期（15→30→60日，须批准人和原因）"),
    "pause": (s.PauseInput, _svc(services.complaint_pause), "中止计时（外部鉴定、调解）"),
    "resume": (s.ResumeInput, _svc(services.complaint_resume), "恢复计时"),
    "restart": (s.RestartInput, _svc(services.complaint_restart), "收到新的事实和理由，重新计时"),
    "decide": (s.DecideInput, _svc(services.complaint_decide), "作出处理决定"),
    "notify": (s.NotifyInput, _svc(services.complaint_notify), "告知客户处理决定"),
    "close": (s.CloseInput, _svc(services.complaint_close), "结案"),
    "withdraw": (s.WithdrawInput, _svc(services.complaint_withdraw), "客户撤回"),
    "merge": (s.MergeInput, _svc(services.complaint_merge_by_number), "作为重复投诉并入另一案件"),
    "repeat-calls": (s.RepeatCallInput, _svc(services.complaint_repeat_call_log), "登记重复来电"),
    "mediation": (s.MediationInput, _svc(services.complaint_mediation_update), "登记调解情况"),
    "callback": (s.CallbackInput, _svc(services.complaint_callback), "满意度回访"),
    "major": (s.MajorInput, _svc(services.complaint_flag_major), "重大投诉标记"),
    "overdue-reason": (s.OverdueReasonInput, _svc(services.complaint_overdue_reason_set), "填写超期原因"),
}


def _step_view(name: str, input_class: type, run: Callable, summary: str) -> type[APIView]:
    class StepApi(APIView):
        @extend_schema(
            operation_id=f"complaints_{name.replace('-', '_')}",
            summary=summary,
            request=input_class,
            responses=s.ComplaintDetailOutput,
        )
        def post(self, request, pk: int):
            case = selectors.complaint_get(user=request.user, pk=pk)
            data = input_class(data=request.data)
            data.is_valid(raise_exception=True)
            run(request.user, case, dict(data.validated_data))
            return Response(_detail(request, pk))

    StepApi.__name__ = StepApi.__qualname__ = "Complaint" + "".join(p.title() for p in name.split("-")) + "Api"
    return StepApi


STEP_VIEWS = {name: _step_view(name, *spec) for name, spec in STEPS.items()}


class AddWorkdaysApi(APIView):
    """The N-th working day after a date on the office's holiday calendar."""

    @extend_schema(
        operation_id="calendar_add_workdays",
        summary="计算第 N 个工作日（起算日当日不计）",
        parameters=[
            OpenApiParameter("start", str, description="起算日 YYYY-MM-DD", required=True),
            OpenApiParameter("days", int, description="工作日数 N", required=True),
        ],
        responses=s.AddWorkdaysOutput,
    )
    def get(self, request):
        data = s.AddWorkdaysInput(data=request.query_params)
        data.is_valid(raise_exception=True)
        result = dl.add_workdays(data.validated_data["start"], data.validated_data["days"], selectors.work_calendar())
        return Response({"date": result.due_on.isoformat(), "official": result.official})
