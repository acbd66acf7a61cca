"""Read endpoints of the kpi app: schemes and league tables for other internal systems."""

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from core.inputs import ApiMonthNumberField
from kpi import selectors
from kpi.api.renderers import LeagueCsvRenderer, LeagueXlsxRenderer
from kpi.league.selectors import league_rows
from kpi.models import Scheme
from kpi.publishing import selectors as publishing


class SchemeListApi(APIView):
    """Schemes with the version in force and the windows computed."""

    class SchemeOutputSerializer(serializers.Serializer):
        code = serializers.CharField()
        name = serializers.CharField()
        year = serializers.IntegerField()
        level = serializers.CharField()
        version = serializers.IntegerField(allow_null=True)
        computed_months = serializers.ListField(child=serializers.IntegerField())
        published_months = serializers.ListField(child=serializers.IntegerField())

    @extend_schema(responses=SchemeOutputSerializer(many=True), summary="考核方案列表")
    def get(self, request):
        data = []
        for scheme in Scheme.objects.all():
            version = scheme.version_in_force()
            data.append({
                "code": scheme.code, "name": scheme.name, "year": scheme.year, "level": scheme.level,
                "version": version.number if version else None,
                "computed_months": selectors.computed_months(scheme=scheme),
                "published_months": publishing.published_months(scheme=scheme),
            })
        return Response(self.SchemeOutputSerializer(data, many=True).data)


class LeagueApi(APIView):
    """A league table of a scheme × window: by default its latest published revision; `revision` an older
    one; `live=true` the provisional table (office only). Indicator cells only within the caller's branch scope.
    `?format=xlsx` answers the journal's layout as a workbook, `?format=csv` the rows as CSV."""

    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, LeagueXlsxRenderer, LeagueCsvRenderer]

    class LeagueCellSerializer(serializers.Serializer):
        code = serializers.CharField()
        value = serializers.DecimalField(max_digits=18, decimal_places=6, allow_null=True)
        value2 = serializers.DecimalField(max_digits=18, decimal_places=6, allow_null=True)
        previous = serializers.DecimalField(max_digits=18, decimal_places=6, allow_null=True)
        target = serializers.DecimalField(max_digits=24, decimal_places=10, allow_null=True)
        points = serializers.DecimalField(max_digits=8, decimal_places=2)
        lost = serializers.DecimalField(max_digits=8, decimal_places=2, help_text="低于分值的失分")
        explanation = serializers.JSONField()

    class LeagueRowSerializer(serializers.Serializer):
        rank = serializers.IntegerField()
        previous_rank = serializers.IntegerField(allow_null=True, help_text="上一累计窗口(同为已发布或同为试算)的名次")
        rank_change = serializers.IntegerField(allow_null=True, help_text="名次变化：正数为上升")
        branch = serializers.CharField(source="code")
        branch_name = serializers.CharField(source="name")
        total = serializers.DecimalField(max_digits=8, decimal_places=2)
        total_change = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
        qualitative = serializers.DecimalField(max_digits=8, decimal_places=2)
        qualitative_pending = serializers.BooleanField(help_text="true：本窗口的定性指标尚未评分(未评)")
        quantitative = serializers.DecimalField(max_digits=8, decimal_places=2)
        deductions = serializers.DecimalField(max_digits=8, decimal_places=2)
        vetoed = serializers.BooleanField()
        status = serializers.SerializerMethodField(help_text="published：已发布版次；provisional：试算，未发布")
        revision = serializers.SerializerMethodField(help_text="发布版次；试算为 null")
        indicators = serializers.SerializerMethodField()

        def get_status(self, obj) -> str:
            return "provisional" if self.context["window"].is_live else "published"

        def get_revision(self, obj) -> int | None:
            publication = self.context["window"].publication
            return publication.revision if publication else None

        def get_indicators(self, obj) -> list[dict]:
            return LeagueApi.LeagueCellSerializer([c for c in obj.cells if c is not None], many=True).data

    class LeagueOutputSerializer(serializers.Serializer):
        scheme = serializers.CharField(source="window.scheme.code")
        version = serializers.IntegerField(source="window.run.version.number")
        month = serializers.IntegerField(source="window.month")
        window = serializers.CharField(source="window.slug", help_text="窗口，如 2023-08 表示 2023年1–8月")
        status = serializers.SerializerMethodField(help_text="published 或 provisional")
        revision = serializers.IntegerField(source="window.publication.revision", allow_null=True, default=None)
        latest_revision = serializers.IntegerField(source="window.latest.revision", allow_null=True, default=None)
        published_at = serializers.DateTimeField(source="window.publication.published_at", allow_null=True, default=None)
        note = serializers.CharField(source="window.publication.note", allow_null=True, default=None)
        computed_at = serializers.DateTimeField(source="window.run.completed_at")
        compared_with = serializers.CharField(source="previous.label", allow_null=True, default=None,
                                              help_text="名次变化所对比的窗口")
        url = serializers.SerializerMethodField(help_text="该表的固定网页地址")
        rows = serializers.SerializerMethodField()

        def get_status(self, table) -> str:
            return "provisional" if table.window.is_live else "published"

        def get_url(self, table) -> str:
            return table.window.url()

        def get_rows(self, table) -> list[dict]:
            return LeagueApi.LeagueRowSerializer(table.rows, many=True, context={"window": table.window}).data

    class LeagueQuerySerializer(serializers.Serializer):
        scheme = serializers.SlugField(max_length=60)
        month = ApiMonthNumberField(required=False)
        revision = serializers.RegexField(r"^[1-9][0-9]{0,3}$", required=False, error_messages={"invalid": "发布版次应为 1 至 9999 的整数"})
        live = serializers.BooleanField(required=False, default=False)

        def validate(self, attrs):
            if attrs.get("live") and attrs.get("revision"):
                raise serializers.ValidationError({"revision": ["live=true 与 revision 不能同时使用"]})
            return attrs

    @extend_schema(
        parameters=[
            OpenApiParameter("scheme", str, required=True, description="方案代码，如 jiangsu-2023"),
            OpenApiParameter("month", int, required=False, description="截至月份(1–12)；缺省为最近发布的窗口"),
            OpenApiParameter("revision", int, required=False, description="发布版次；缺省为该窗口的最新版"),
            OpenApiParameter("live", bool, required=False, description="true：试算(实时)结果，仅省公司可用"),
            OpenApiParameter("format", str, required=False, enum=["json", "xlsx", "csv"],
                             description="xlsx：期刊版式的 Excel 表；csv：逐行数据"),
        ],
        responses=LeagueOutputSerializer,
        summary="考核排名(累计窗口)",
    )
    def get(self, request):
        query = self.LeagueQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        params = query.validated_data
        scheme = get_object_or_404(Scheme, code=params["scheme"])
        if params["live"] and not publishing.can_see_live(request.user):
            raise PermissionDenied("试算结果只对省公司开放")
        month = params.get("month")
        if month is None:
            months = selectors.computed_months(scheme=scheme) if params["live"] else publishing.published_months(scheme=scheme)
            if not months:
                raise NotFound("该方案尚无已发布的排名")
            month = months[-1]
        try:
            window = publishing.window_get(
                user=request.user, scheme=scheme, month=month, revision=int(params.get("revision") or 0) or None,
                live=params["live"],
                fallback_live=False,
            )
        except Http404 as exc:
            raise NotFound(str(exc)) from exc
        table = league_rows(window=window, user=request.user, explanations=request.accepted_renderer.format not in ("xlsx", "csv"))
        if request.accepted_renderer.format in ("xlsx", "csv"):
            return Response(table)
        return Response(self.LeagueOutputSerializer(table).data)

