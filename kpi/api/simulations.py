"""The what-if simulator over the API: the same changes as the page and the command, the same rows; writes nothing."""

import json

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from branches.permissions import can_simulate
from core.inputs import ApiMonthNumberField
from kpi.models import Scheme
from kpi.simulation.changes import MAX_INDICATOR_CHANGES, MAX_OFFICE_CHANGES, parse_changes
from kpi.simulation.selectors import simulate

MAX_RULE_CHARS = 5000
# Totals and points out: wide enough for any base points a simulation may set (Indicator.base_points has 8 digits,
# times up to 50 indicators), so answering never fails on a large what-if.
# Numbers travel as strings (exact); kpi.simulation.changes reads them through core.parsing.
NUMBER = {"max_length": 30, "required": False, "allow_null": True, "allow_blank": True}


class TierEditSerializer(serializers.Serializer):
    side = serializers.ChoiceField(choices=["above", "below"], help_text="above：达标加分档；below：未达标扣分档")
    tier = serializers.IntegerField(min_value=1, max_value=20, help_text="第几档(从 1 起)")
    step = serializers.CharField(**NUMBER, help_text="每档大小")
    points = serializers.CharField(**NUMBER, help_text="每档分数")


class BandEdgeSerializer(serializers.Serializer):
    edge = serializers.IntegerField(min_value=1, max_value=20, help_text="第 edge 段与第 edge+1 段的分界")
    value = serializers.CharField(max_length=30)


class IndicatorChangeSerializer(serializers.Serializer):
    target = serializers.CharField(**NUMBER, help_text="固定考核值(显示单位，如 96 表示 96%)")
    base_points = serializers.CharField(**NUMBER, help_text="分值")
    bonus_cap = serializers.CharField(**NUMBER, help_text="加分上限")
    scored = serializers.BooleanField(required=False, allow_null=True, default=None, help_text="false：不再计分")
    rule = serializers.JSONField(required=False, allow_null=True, help_text="整条计分规则(与方案中的写法相同)")
    tiers = serializers.ListField(child=TierEditSerializer(), required=False, max_length=20)
    band_edges = serializers.ListField(child=BandEdgeSerializer(), required=False, max_length=20)

    def validate_rule(self, value):
        if value is not None and len(json.dumps(value, ensure_ascii=False)) > MAX_RULE_CHARS:
            raise serializers.ValidationError(f"计分规则过长(最多 {MAX_RULE_CHARS} 个字符)")
        return value


class QualitativeChangeSerializer(serializers.Serializer):
    branch = serializers.SlugField(max_length=60)
    item = serializers.CharField(max_length=20)
    score = serializers.CharField(max_length=30)


class DeductionChangeSerializer(serializers.Serializer):
    branch = serializers.SlugField(max_length=60)
    points = serializers.CharField(max_length=30, help_text="负数，如 -1")
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True)
    replace = serializers.BooleanField(required=False, default=False, help_text="true：替换该机构已有的全部减分")


class SimulationInputSerializer(serializers.Serializer):
    scheme = serializers.SlugField(max_length=60)
    month = ApiMonthNumberField(help_text="窗口截至月份(1–N月)")
    version = serializers.IntegerField(min_value=1, max_value=9999, required=False, allow_null=True,
                                       help_text="按方案的该版本(如草稿)计分；缺省为现行版本")
    indicators = serializers.DictField(child=IndicatorChangeSerializer(), required=False,
                                       help_text="指标代码 → 修改")
    qualitative = serializers.ListField(child=QualitativeChangeSerializer(), required=False, max_length=MAX_OFFICE_CHANGES)
    deductions = serializers.ListField(child=DeductionChangeSerializer(), required=False, max_length=MAX_OFFICE_CHANGES)

    def validate_indicators(self, value):
        if len(value) > MAX_INDICATOR_CHANGES:
            raise serializers.ValidationError(f"最多修改 {MAX_INDICATOR_CHANGES} 个指标")
        for code in value:
            if len(code) > 60:
                raise serializers.ValidationError("指标代码过长")
        return value


class CauseSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="指标代码，或 qualitative(定性)/deductions(减分)")
    name = serializers.CharField()
    before = serializers.DecimalField(max_digits=20, decimal_places=2)
    after = serializers.DecimalField(max_digits=20, decimal_places=2)
    delta = serializers.DecimalField(max_digits=20, decimal_places=2)


class SimulationRowSerializer(serializers.Serializer):
    branch = serializers.CharField()
    branch_name = serializers.CharField()
    total_before = serializers.DecimalField(max_digits=20, decimal_places=2)
    rank_before = serializers.IntegerField()
    total_after = serializers.DecimalField(max_digits=20, decimal_places=2)
    rank_after = serializers.IntegerField()
    delta = serializers.DecimalField(max_digits=20, decimal_places=2)
    rank_change = serializers.IntegerField(help_text="名次变化，正数为上升")
    vetoed = serializers.BooleanField()
    causes = CauseSerializer(many=True)


class SimulationOutputSerializer(serializers.Serializer):
    scheme = serializers.CharField()
    month = serializers.IntegerField()
    base_version = serializers.IntegerField(help_text="基准：现行(已发布)版本号")
    version = serializers.IntegerField(help_text="模拟所用版本号")
    notes = serializers.ListField(child=serializers.CharField(), help_text="与基准相比改动的计分规则")
    kendall_tau = serializers.DecimalField(max_digits=5, decimal_places=4, allow_null=True, help_text="修改前后排名的 Kendall τ-b")
    winners = serializers.ListField(child=serializers.CharField(), help_text="名次上升的机构")
    losers = serializers.ListField(child=serializers.CharField(), help_text="名次下降的机构")
    cell_changes = serializers.DictField(child=serializers.IntegerField(), help_text="各指标得分(档位)变化的机构数")
    top3 = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    bottom3 = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    rows = SimulationRowSerializer(many=True, help_text="按修改后排名排列")


def simulation_data(simulation) -> dict:
    """A simulation as the API answers it (rows in the after ranking)."""
    c, names = simulation.comparison, simulation.base.branch_names
    return {
        "scheme": simulation.base.scheme.code,
        "month": simulation.base.month,
        "base_version": simulation.base.version.number,
        "version": simulation.base.after_version.number,
        "notes": simulation.notes,
        "kendall_tau": c.tau,
        "winners": [r.branch for r in c.winners],
        "losers": [r.branch for r in c.losers],
        "cell_changes": {k: v for k, v in c.cell_changes.items() if v},
        "top3": {"before": c.top_before, "after": c.top_after},
        "bottom3": {"before": c.bottom_before, "after": c.bottom_after},
        "rows": [
            {"branch": r.branch, "branch_name": names.get(r.branch, r.branch), "total_before": r.total_before,
             "rank_before": r.rank_before, "total_after": r.total_after, "rank_after": r.rank_after,
             "delta": r.delta, "rank_change": r.rank_change, "vetoed": r.vetoed,
             "causes": [{"code": k.code, "name": simulation.indicator_name(k.code), "before": k.before,
                         "after": k.after, "delta": k.delta} for k in r.causes]}
            for r in c.rows
        ],
    }


class SimulationApi(APIView):
    """What-if: a window's league before and after changed targets, points, rules, office scores or a draft version.

    Office only. Writes nothing (no run, no snapshot, no figure).
    """

    @extend_schema(
        request=SimulationInputSerializer,
        responses=SimulationOutputSerializer,
        summary="模拟：修改规则后的排名变化",
        examples=[OpenApiExample("考核值 96%", value={"scheme": "jiangsu-2023", "month": 8, "indicators": {"sl_nonbank": {"target": "96"}}},
                                 request_only=True)],
    )
    def post(self, request):
        data = SimulationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        params = data.validated_data
        scheme = get_object_or_404(Scheme.objects.select_related("province"), code=params["scheme"])
        if not can_simulate(request.user, scheme.province):
            raise PermissionDenied("模拟只对省公司开放")
        changes = parse_changes({k: params.get(k) for k in ("indicators", "qualitative", "deductions", "version")})
        simulation = simulate(scheme=scheme, month=params["month"], changes=changes)
        return Response(SimulationOutputSerializer(simulation_data(simulation)).data)
