"""The figures API: other internal systems send monthly figures (JSON or the same files as the web import) and pull them.

`POST` goes through the import pipeline (kpi.imports.services): it answers an import summary with 200 whenever the
request was well formed — conflicts included, per value `{index, code, message}` — and writes nothing while one
error remains. An `Idempotency-Key` header makes a retry answer the first summary without writing again.
`GET` lists figures for incremental pulls, within the caller's branch scope like every endpoint.
"""

import hashlib
import json
import re

import django_filters
from django.db import IntegrityError, transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response

from branches.permissions import scope_queryset
from core.errors import ConflictError
from core.inputs import ApiMonthField, DateTimeFilter, MonthFilter
from kpi.imports import services
from kpi.imports.reader import KINDS, UPLOAD_MAX_BYTES
from kpi.models import FigureSource, ImportBatch, MonthlyFigure

_KEY = re.compile(r"[\x21-\x7e]{1,100}")
_INDEX = re.compile(r"figures\[(\d+)\]")


class FigureFilter(django_filters.FilterSet):
    """`?branch=&month_from=&month_to=&component=&updated_since=`: every bound parsed by core.inputs."""

    branch = django_filters.CharFilter(field_name="branch__code", max_length=40)
    component = django_filters.CharFilter(field_name="component__code", max_length=60)
    month_from = MonthFilter(field_name="month", lookup_expr="gte")
    month_to = MonthFilter(field_name="month", lookup_expr="lte")
    updated_since = DateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = MonthlyFigure
        fields = []


@extend_schema_field({"oneOf": [{"type": "number"}, {"type": "string", "maxLength": 40}], "example": 9448})
class FigureValueField(serializers.Field):
    """A value as the client sends it (a JSON number or a string); the pipeline parses it like a typed figure."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float | str):
            raise serializers.ValidationError("数值应为数字或字符串")
        if isinstance(data, str) and len(data) > 40:
            raise serializers.ValidationError("数值过长（最多 40 个字符）")
        return data

    def to_representation(self, value):
        return value


class FigureInputSerializer(serializers.Serializer):
    branch = serializers.CharField(max_length=100, help_text="机构代码或名称")
    month = serializers.CharField(max_length=20, help_text="月份，如 2023-09")
    component = serializers.CharField(max_length=100, help_text="填报项代码或名称")
    value = FigureValueField()


class FiguresInputSerializer(serializers.Serializer):
    figures = FigureInputSerializer(many=True, allow_empty=False, max_length=services.API_MAX_FIGURES)


class FiguresQuerySerializer(serializers.Serializer):
    dry_run = serializers.BooleanField(required=False, default=False)
    scheme = serializers.SlugField(max_length=60, required=False)
    month = ApiMonthField(required=False, help_text="文件中未写明月份时使用")


class ImportProblemSerializer(serializers.Serializer):
    index = serializers.IntegerField(allow_null=True, help_text="JSON 中第几个数值（从 0 起）；文件导入为 null")
    code = serializers.CharField(help_text="稳定的问题代码，如 NOT_A_NUMBER、MONTH_LOCKED")
    message = serializers.CharField()
    cell = serializers.CharField(help_text="文件中的单元格（Sheet1!C7）或 figures[3]")
    value = serializers.CharField(allow_blank=True)
    expected = serializers.CharField(allow_blank=True)


class ImportSummarySerializer(serializers.Serializer):
    batch = serializers.UUIDField()
    status = serializers.CharField(help_text="applied：已写入；ready：试运行通过；unchanged：无变化；invalid：有错误，未写入")
    dry_run = serializers.BooleanField()
    counts = serializers.DictField(child=serializers.IntegerField())
    months = serializers.ListField(child=serializers.DictField())
    conflicts = ImportProblemSerializer(many=True)
    warnings = ImportProblemSerializer(many=True)


class FigureOutputSerializer(serializers.ModelSerializer):
    branch = serializers.CharField(source="branch.code")
    component = serializers.CharField(source="component.code")
    month = ApiMonthField()
    source = serializers.CharField(help_text="form：页面填报；import：文件导入；api：接口")
    updated_at = serializers.DateTimeField()

    class Meta:
        model = MonthlyFigure
        fields = ["branch", "month", "component", "value", "source", "updated_at"]


def _problems(rows: list[dict]) -> list[dict]:
    out = []
    for row in rows:
        found = _INDEX.fullmatch(row.get("cell", ""))
        out.append({**row, "index": int(found.group(1)) if found else None})
    return out


class FiguresApi(generics.ListAPIView):
    """GET: figures within the caller's scope, for incremental pulls. POST: send figures through the import pipeline."""

    serializer_class = FigureOutputSerializer
    filterset_class = FigureFilter
    parser_classes = [JSONParser, MultiPartParser]

    def get_queryset(self):
        figures = MonthlyFigure.objects.select_related("branch", "component").order_by("month", "branch__code", "component__code", "pk")
        return scope_queryset(self.request.user, figures)

    @extend_schema(summary="月度数据（增量拉取）")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="导入月度数据（JSON 或文件）",
        request={"application/json": FiguresInputSerializer, "multipart/form-data": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}},
        parameters=[
            OpenApiParameter("dry_run", bool, required=False, description="true：只检查并返回摘要，不写入"),
            OpenApiParameter("scheme", str, required=False, description="方案代码；缺省按月份所属年度"),
            OpenApiParameter("month", str, required=False, description="文件中未写明月份时使用，如 2023-09"),
            OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False,
                             description="重试时带同一个键：返回第一次的摘要，不会重复写入"),
        ],
        responses={200: ImportSummarySerializer},
    )
    def post(self, request, *args, **kwargs):
        query = FiguresQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        params = query.validated_data
        key = request.headers.get("Idempotency-Key", "").strip()
        if key and not _KEY.fullmatch(key):
            raise serializers.ValidationError({"Idempotency-Key": ["应为 1 至 100 个可见 ASCII 字符"]})
        name, content = self._content(request)
        if key:
            existing = ImportBatch.objects.filter(user=request.user, idempotency_key=key).first()
            if existing is not None:
                return self._replay(existing, content, params["dry_run"])
        try:
            with transaction.atomic():
                batch = services.batch_create(user=request.user, channel=FigureSource.API, file_name=name, content=content,
                                              scheme_code=params.get("scheme"), month=params.get("month"), idempotency_key=key)
        except IntegrityError:  # the same key sent twice at once: the second answers the first
            return self._replay(ImportBatch.objects.get(user=request.user, idempotency_key=key), content, params["dry_run"])
        checked = services.batch_prepare(batch=batch)
        if not params["dry_run"] and checked.plan.ok and checked.plan.writes():
            batch = services.batch_apply(batch=batch, user=request.user)
        batch.summary["dry_run"] = params["dry_run"]
        batch.save(update_fields=["summary"])
        return Response(self._answer(batch.summary))

    def _content(self, request) -> tuple[str, bytes]:
        upload = request.FILES.get("file")
        if upload is not None:
            if not upload.name.lower().endswith(KINDS):
                raise serializers.ValidationError({"file": ["只能上传 .xlsx、.xls、.ods 或 .csv 文件"]})
            if upload.size > UPLOAD_MAX_BYTES:
                raise serializers.ValidationError({"file": ["文件过大，不能超过 10 MB"]})
            return upload.name, upload.read()
        body = FiguresInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        figures = [dict(item) for item in body.validated_data["figures"]]
        return ImportBatch.JSON_NAME, json.dumps({"figures": figures}, ensure_ascii=False).encode()

    def _replay(self, batch: ImportBatch, content: bytes, dry_run: bool):
        if batch.sha256 != hashlib.sha256(content).hexdigest() or batch.summary.get("dry_run") != dry_run:
            raise ConflictError("该 Idempotency-Key 已用于另一份数据，请换一个键。")
        return Response(self._answer(batch.summary))

    @staticmethod
    def _answer(summary: dict) -> dict:
        keys = ("batch", "status", "dry_run", "counts", "months")
        return {**{k: summary.get(k) for k in keys}, "conflicts": _problems(summary.get("errors", [])),
                "warnings": _problems(summary.get("warnings", []))}



