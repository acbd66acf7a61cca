"""REST endpoints of the complaints app: one thin view per operation, scoped by branches.permissions.

Reading another branch's case answers 404; registering a case for another branch answers 403; a rule
the services refuse answers 400 with the reason in Chinese (core.api.exception_handler).
"""

from django.core.exceptions import PermissionDenied
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from branches.permissions import can_view_branch
from complaints import deadlines as dl
from complaints import selectors, services, steps
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


def _step_view(name: str, step: steps.Step) -> type[APIView]:
    input_class = s.STEP_INPUTS[name]

    class StepApi(APIView):
        @extend_schema(
            operation_id=f"complaints_{name.replace('-', '_')}",
            summary=step.summary,
            request=input_class,
            responses=s.ComplaintDetailOutput,
        )
        def post(self, request, pk: int):
            case = selectors.complaint_get(user=request.user, pk=pk)
            data = input_class(data=request.data)
            data.is_valid(raise_exception=True)
            steps.run(name, actor=request.user, case=case, data=dict(data.validated_data))
            return Response(_detail(request, pk))

    StepApi.__name__ = StepApi.__qualname__ = "Complaint" + "".join(p.title() for p in name.split("-")) + "Api"
    return StepApi


# One endpoint per step of the table, named as the page names it: /api/v1/complaints/<pk>/<name>/.
STEP_VIEWS = {name: _step_view(name, step) for name, step in steps.STEPS.items()}


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
