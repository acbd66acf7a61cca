"""Read endpoints of the kpi app: schemes and league tables for other internal systems."""

import hashlib
from decimal import Decimal

from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_vary_headers
from django.utils.http import parse_etags
from django.utils.translation import get_language
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from branches.permissions import get_branch_or_404
from core import cache, spliced
from core.inputs import ApiMonthNumberField, ApiPageField, ApiPageSizeField
from core.spliced import Spliced, accepts_gzip
from kpi import selectors
from kpi.api.renderers import LeagueCsvRenderer, LeagueXlsxRenderer
from kpi.league.selectors import KEY_FORMAT, league_rows, scheme_stamp, scope_key, window_key
from kpi.models import BranchScore, Scheme
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


DEFAULT_PAGE_SIZE = 100
# How long a rendered table stays in the cache; a run never changes, so this only bounds memory.
CACHE_SECONDS = 3600


class LeagueQuerySerializer(serializers.Serializer):
    scheme = serializers.SlugField(max_length=60)
    month = ApiMonthNumberField(required=False)
    revision = serializers.RegexField(r"^[1-9][0-9]{0,3}$", required=False, error_messages={"invalid": "发布版次应为 1 至 9999 的整数"})
    live = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs):
        if attrs.get("live") and attrs.get("revision"):
            raise serializers.ValidationError({"revision": ["live=true 与 revision 不能同时使用"]})
        return attrs


WINDOW_PARAMETERS = [
    OpenApiParameter("scheme", str, required=True, description="方案代码，如 jiangsu-2023"),
    OpenApiParameter("month", int, required=False, description="截至月份(1–12)；缺省为最近发布的窗口"),
    OpenApiParameter("revision", int, required=False, description="发布版次；缺省为该窗口的最新版"),
    OpenApiParameter("live", bool, required=False, description="true：试算(实时)结果，仅省公司可用"),
]
ETAG_HEADER = OpenApiParameter(
    "If-None-Match", str, OpenApiParameter.HEADER, required=False,
    description="上次响应的 ETag：表未变化时返回 304，无响应体",
)


def _window(request, params) -> publishing.Window:
    """The table a query names, as the caller may see it (403 for the live table of branch staff, 404 for none)."""
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
        return publishing.window_get(
            user=request.user, scheme=scheme, month=month, revision=int(params.get("revision") or 0) or None,
            live=params["live"], fallback_live=False,
        )
    except Http404 as exc:
        raise NotFound(str(exc)) from exc


def _etag(key: str) -> str:
    return '"' + hashlib.sha256(key.encode()).hexdigest()[:40] + '"'


def _not_modified(request, etag: str) -> HttpResponse | None:
    """304 when the client already holds this version (If-None-Match), with the ETag and no body."""
    sent = request.headers.get("If-None-Match")
    # Weak comparison (RFC 9110 13.1.2): the plain and the gzipped answer are the same JSON.
    if sent and (sent.strip() == "*" or etag.removeprefix("W/") in {t.removeprefix("W/") for t in parse_etags(sent)}):
        return _validators(HttpResponseNotModified(), etag)
    return None


def _validators(response, etag: str):
    response["ETag"] = etag
    # Per user scope: no shared cache may keep it; a browser revalidates each time (a 304 costs no rows).
    response["Cache-Control"] = "private, no-cache"
    # Accept-Encoding too on a 304: the JSON may be sent gzipped (RFC 9110: a 304 varies as its 200 would).
    patch_vary_headers(response, ("Accept", "Accept-Encoding", "Authorization", "Cookie", "Accept-Language"))
    return response


class LeagueCellSerializer(serializers.Serializer):
    code = serializers.CharField()
    value = serializers.DecimalField(max_digits=18, decimal_places=6, allow_null=True)
    value2 = serializers.DecimalField(max_digits=18, decimal_places=6, allow_null=True)
    previous = serializers.DecimalField(max_digits=18, decimal_places=6, allow_null=True)
    target = serializers.DecimalField(max_digits=24, decimal_places=10, allow_null=True)
    points = serializers.DecimalField(max_digits=8, decimal_places=2)
    lost = serializers.DecimalField(max_digits=8, decimal_places=2, help_text="低于分值的失分")
    explanation = serializers.JSONField(required=False, help_text="计算过程；仅在 expand=explanations 时给出")

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self.context.get("explanations"):
            data.pop("explanation", None)
        return data


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
    indicators = serializers.SerializerMethodField(help_text="指标得分，仅限调用者可见的机构；其他机构为空")

    def get_status(self, obj) -> str:
        return "provisional" if self.context["window"].is_live else "published"

    def get_revision(self, obj) -> int | None:
        publication = self.context["window"].publication
        return publication.revision if publication else None

    @extend_schema_field(LeagueCellSerializer(many=True))
    def get_indicators(self, obj) -> list[dict]:
        return LeagueCellSerializer([c for c in obj.cells if c is not None], many=True, context=self.context).data


class LeagueApi(APIView):
    """A league table of a scheme × window: by default its latest published revision; `revision` an older
    one; `live=true` the provisional table (office only). Indicator cells only within the caller's branch scope.

    Rows come a page at a time (`page`, `page_size` up to 500; `count`, `next`, `previous`), each cell without
    its explanation unless `expand=explanations` (or ask one cell at `/api/v1/league/cells/`). Every answer has
    an ETag: `If-None-Match` answers 304 while the table is unchanged. `?format=xlsx` answers the journal's
    layout as a workbook, `?format=csv` the rows as CSV, both whole (not paginated)."""

    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, LeagueXlsxRenderer, LeagueCsvRenderer]

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
        count = serializers.IntegerField(help_text="全表的机构数(各页合计)")
        next = serializers.SerializerMethodField(help_text="下一页的地址；最后一页为 null")
        previous = serializers.SerializerMethodField(help_text="上一页的地址；第一页为 null")
        rows = serializers.SerializerMethodField()

        def get_status(self, table) -> str:
            return "provisional" if table.window.is_live else "published"

        def get_url(self, table) -> str:
            return table.window.url()

        @extend_schema_field(OpenApiTypes.URI)
        def get_next(self, table) -> str | None:
            return self.context["next"]

        @extend_schema_field(OpenApiTypes.URI)
        def get_previous(self, table) -> str | None:
            return self.context["previous"]

        @extend_schema_field(LeagueRowSerializer(many=True))
        def get_rows(self, table) -> list[dict]:
            return LeagueRowSerializer(table.rows, many=True, context={**self.context, "window": table.window}).data

    class LeaguePageQuerySerializer(LeagueQuerySerializer):
        page = ApiPageField(required=False, default=1)
        page_size = ApiPageSizeField(required=False, default=DEFAULT_PAGE_SIZE)
        expand = serializers.ChoiceField(choices=["explanations"], required=False,
                                         error_messages={"invalid_choice": "expand 只能是 explanations"})

    @extend_schema(
        parameters=[
            *WINDOW_PARAMETERS,
            OpenApiParameter("page", int, required=False, description="页码，从 1 起"),
            OpenApiParameter("page_size", int, required=False, description=f"每页机构数，缺省 {DEFAULT_PAGE_SIZE}，最多 500"),
            OpenApiParameter("expand", str, required=False, enum=["explanations"],
                             description="explanations：每个指标得分附带计算过程(响应会大得多)"),
            OpenApiParameter("format", str, required=False, enum=["json", "xlsx", "csv"],
                             description="xlsx：期刊版式的 Excel 表；csv：逐行数据(两者均为全表，不分页)"),
            ETAG_HEADER,
        ],
        responses={200: LeagueOutputSerializer, 304: OpenApiResponse(description="表未变化(If-None-Match 与 ETag 相同)")},
        summary="考核排名(累计窗口)",
    )
    def get(self, request):
        query = self.LeaguePageQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        params = query.validated_data
        fmt = request.accepted_renderer.format
        if fmt in ("xlsx", "csv"):
            return Response(league_rows(window=_window(request, params), user=request.user))
        page, size, explanations = params["page"], params["page_size"], params.get("expand") == "explanations"
        # Which table the query names, remembered per scheme stamp (one query): a repeated read finds its ETag and
        # cached answer without resolving the window again; any recompute or publication changes the stamp.
        stamp = scheme_stamp(params["scheme"])
        resolve = cache.key_of(
            "league-window", KEY_FORMAT, params["scheme"], params.get("month"), params.get("revision"), params["live"],
            publishing.can_see_live(request.user), stamp, get_language(),
        )
        window = None
        resolved = cache.get(resolve) if stamp is not None else None
        if resolved is None:
            window = _window(request, params)
            resolved = window_key(window, request.user)
            cache.set(resolve, resolved, CACHE_SECONDS)
        key = "|".join(map(str, (
            "league-api", resolved, scope_key(request.user), fmt, page, size, explanations,
            request.scheme, request.get_host(),
        )))
        tag = _etag(key)
        # The gzipped representation of the same JSON has a weak tag (as Django's GZipMiddleware marks it).
        gzipped = fmt == "json" and accepts_gzip(request)
        etag = "W/" + tag if gzipped else tag
        not_modified = _not_modified(request, etag)
        if not_modified is not None:
            return not_modified
        if fmt == "json":
            body = cache.get(tag)
            if body is not None:
                return _validators(spliced.response(body, gzipped=gzipped, content_type="application/json"), etag)
        if window is None:
            window = _window(request, params)
        table = league_rows(window=window, user=request.user, explanations=explanations, offset=(page - 1) * size,
                            limit=size, summary=False)
        if page > 1 and not table.rows:
            raise NotFound("没有这一页")
        url = request.build_absolute_uri()
        context = {
            "explanations": explanations,
            "next": replace_query_param(url, "page", page + 1) if page * size < table.count else None,
            "previous": None if page == 1 else (
                remove_query_param(url, "page") if page == 2 else replace_query_param(url, "page", page - 1)
            ),
        }
        data = self.LeagueOutputSerializer(table, context=context).data
        if fmt != "json":
            return _validators(Response(data), etag)
        body = Spliced.of(JSONRenderer().render(data))  # compressed once, served gzipped to clients that take it
        cache.set(tag, body, CACHE_SECONDS)
        return _validators(spliced.response(body, gzipped=gzipped, content_type="application/json"), etag)


class LeagueCellApi(APIView):
    """One cell of a league table with its whole explanation: a branch × indicator of a window's table, within the
    caller's branch scope (another branch's cell is a 404, as if it did not exist)."""

    class CellQuerySerializer(LeagueQuerySerializer):
        branch = serializers.SlugField(max_length=40, help_text="机构代码")
        indicator = serializers.SlugField(max_length=60, help_text="指标代码")

    class CellOutputSerializer(LeagueCellSerializer):
        scheme = serializers.CharField()
        month = serializers.IntegerField()
        window = serializers.CharField()
        status = serializers.CharField(help_text="published 或 provisional")
        revision = serializers.IntegerField(allow_null=True)
        branch = serializers.CharField()
        branch_name = serializers.CharField()
        indicator_name = serializers.CharField()
        explanation = serializers.JSONField(help_text="计算过程：口径、输入、累计值、考核值、规则与各步")
        url = serializers.CharField(help_text="该得分计算过程的固定网页地址")

        def to_representation(self, instance):
            return serializers.Serializer.to_representation(self, instance)

    @extend_schema(
        parameters=[
            *WINDOW_PARAMETERS,
            OpenApiParameter("branch", str, required=True, description="机构代码"),
            OpenApiParameter("indicator", str, required=True, description="指标代码"),
            ETAG_HEADER,
        ],
        responses={200: CellOutputSerializer, 304: OpenApiResponse(description="未变化(If-None-Match 与 ETag 相同)")},
        summary="一项指标得分及其计算过程",
    )
    def get(self, request):
        query = self.CellQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        params = query.validated_data
        window = _window(request, params)
        branch = get_branch_or_404(request.user, params["branch"])
        etag = _etag("|".join(map(str, ("league-cell", KEY_FORMAT, window.run.pk, window.run.completed_at, window.revision_slug,
                                        scope_key(request.user), branch.pk, params["indicator"], get_language()))))
        not_modified = _not_modified(request, etag)
        if not_modified is not None:
            return not_modified
        score = BranchScore.objects.filter(run=window.run, branch=branch).select_related("branch").first()
        found = score.cell(params["indicator"]) if score else None
        indicator = window.run.version.indicators.filter(code=params["indicator"]).first()
        if found is None or indicator is None:
            raise NotFound("该表中没有这一项得分")
        value, value2, previous, target, points = found.value, found.value2, found.previous, found.target, found.points
        # Runs keep inputs, not explanations: this one is rendered now (kpi.selectors.cell_explanation).
        explanation = selectors.cell_explanation(run=window.run, score=score, indicator_code=indicator.code)
        data = {
            "scheme": window.scheme.code, "month": window.month, "window": window.slug,
            "status": "provisional" if window.is_live else "published",
            "revision": window.publication.revision if window.publication else None,
            "branch": branch.code, "branch_name": branch.name, "code": indicator.code, "indicator_name": indicator.label,
            "value": value, "value2": value2, "previous": previous, "target": target, "points": points,
            "lost": max(indicator.base_points - points, Decimal(0)), "explanation": explanation or {},
            "url": window.url(branch.code, indicator.code),
        }
        return _validators(Response(self.CellOutputSerializer(data).data), etag)
