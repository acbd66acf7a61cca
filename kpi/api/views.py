"""Read endpoints of the kpi app: schemes and league tables for other internal systems."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from branches.permissions import visible_branch_ids
from kpi import selectors
from kpi.models import Scheme


class SchemeListApi(APIView):
    """Schemes with the version in force and the windows computed."""

    class SchemeOutputSerializer(serializers.Serializer):
        code = serializers.CharField()
        name = serializers.CharField()
        year = serializers.IntegerField()
        level = serializers.CharField()
        version = serializers.IntegerField(allow_null=True)
        computed_months = serializers.ListField(child=serializers.IntegerField())

    @extend_schema(responses=SchemeOutputSerializer(many=True), summary="考核方案列表")
    def get(self, request):
        data = []
        for scheme in Scheme.objects.all():
            version = scheme.version_in_force()
            data.append({
                "code": scheme.code, "name": scheme.name, "year": scheme.year, "level": scheme.level,
                "version": version.number if version else None,
                "computed_months": selectors.computed_months(scheme=scheme),
            })
        return Response(self.SchemeOutputSerializer(data, many=True).data)


class LeagueApi(APIView):
    """The current league table of a scheme × window; indicator cells only within the caller's branch scope."""

    class LeagueCellSerializer(serializers.Serializer):
        code = serializers.CharField(source="indicator_code")
        value = serializers.DecimalField(max_digits=18, decimal_places=6, allow_null=True)
        value2 = serializers.DecimalField(max_digits=18, decimal_places=6, allow_null=True)
        previous = serializers.DecimalField(max_digits=18, decimal_places=6, allow_null=True)
        target = serializers.DecimalField(max_digits=24, decimal_places=10, allow_null=True)
        points = serializers.DecimalField(max_digits=8, decimal_places=2)
        explanation = serializers.JSONField()

    class LeagueRowSerializer(serializers.Serializer):
        rank = serializers.IntegerField()
        branch = serializers.CharField(source="branch.code")
        branch_name = serializers.CharField(source="branch.name")
        total = serializers.DecimalField(max_digits=8, decimal_places=2)
        qualitative = serializers.DecimalField(max_digits=8, decimal_places=2)
        quantitative = serializers.DecimalField(max_digits=8, decimal_places=2)
        deductions = serializers.DecimalField(max_digits=8, decimal_places=2)
        vetoed = serializers.BooleanField()
        indicators = serializers.SerializerMethodField()

        def get_indicators(self, obj) -> list[dict]:
            visible = self.context["visible"]
            if visible is not None and obj.branch_id not in visible:
                return []
            return LeagueApi.LeagueCellSerializer(obj.indicator_scores.all(), many=True).data

    class LeagueOutputSerializer(serializers.Serializer):
        scheme = serializers.CharField(source="scheme.code")
        version = serializers.IntegerField(source="version.number")
        month = serializers.IntegerField()
        computed_at = serializers.DateTimeField(source="completed_at")
        rows = serializers.SerializerMethodField()

        def get_rows(self, run) -> list[dict]:
            return LeagueApi.LeagueRowSerializer(selectors.run_branch_scores(run=run), many=True, context=self.context).data

    @extend_schema(
        parameters=[
            OpenApiParameter("scheme", str, required=True, description="方案代码，如 jiangsu-2023"),
            OpenApiParameter("month", int, required=False, description="截至月份(1–12)；缺省为最近计算的月份"),
        ],
        responses=LeagueOutputSerializer,
        summary="考核排名(累计窗口)",
    )
    def get(self, request):
        scheme = get_object_or_404(Scheme, code=request.query_params.get("scheme", ""))
        months = selectors.computed_months(scheme=scheme)
        raw_month = request.query_params.get("month")
        if raw_month is not None and (not raw_month.isdigit() or int(raw_month) not in months):
            raise serializers.ValidationError({"month": [f"该方案只有以下月份的计算结果：{months}"]})
        month = int(raw_month) if raw_month else (months[-1] if months else None)
        run = selectors.current_run(scheme=scheme, month=month) if month else None
        if run is None:
            raise serializers.ValidationError({"scheme": ["该方案尚未计分"]})
        context = {"visible": visible_branch_ids(request.user)}
        return Response(self.LeagueOutputSerializer(run, context=context).data)
