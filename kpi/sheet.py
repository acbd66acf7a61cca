"""What-if scoring of a sheet of indicator values: read and validate every row, then score in bulk; writes nothing."""

import csv
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import pandas as pd

from kpi.rules import indicator_spec
from kpi.scoring.decimals import fmt
from kpi.scoring.engine import score_indicator
from kpi.scoring.rules import TwoPartRule

HEADER = ["branch", "indicator", "value", "value2", "previous"]


class SheetError(ValueError):
    """Every problem of a sheet, each naming its line."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class SheetRow:
    line: int
    branch: str
    indicator: str
    value: Decimal
    value2: Decimal | None
    previous: Decimal | None


def parse_targets(pairs: list[str]) -> dict[str, Decimal]:
    """`CODE=VALUE` pairs from the command line."""
    out, errors = {}, []
    for pair in pairs:
        code, sep, raw = pair.partition("=")
        try:
            if not sep or not code:
                raise InvalidOperation
            out[code.strip()] = Decimal(raw.strip())
        except InvalidOperation:
            errors.append(f"--target {pair}：应写成 指标代码=数值，如 reg_complaints_per_100m=0.3652")
    if errors:
        raise SheetError(errors)
    return out


def _number(raw: str, line: int, column: str, errors: list[str], *, required: bool) -> Decimal | None:
    raw = (raw or "").strip()
    if not raw:
        if required:
            errors.append(f"第{line}行，{column}：不能为空")
        return None
    try:
        value = Decimal(raw.replace(",", ""))
    except InvalidOperation:
        errors.append(f"第{line}行，{column}：“{raw}”不是数字")
        return None
    if not value.is_finite() or value < 0:
        errors.append(f"第{line}行，{column}：须为非负数，现为“{raw}”")
        return None
    return value


def read_sheet(text: str, indicators: dict) -> list[SheetRow]:
    """Parse and validate the whole sheet; SheetError lists every bad line."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if header is None or [h.strip() for h in header] != HEADER:
        raise SheetError([f"第1行：表头须为 {','.join(HEADER)}，现为 {','.join(header or [])}"])
    rows, errors = [], []
    for line, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(HEADER):
            errors.append(f"第{line}行：应有 {len(HEADER)} 列，现有 {len(cells)} 列")
            continue
        branch, code, value, value2, previous = (c.strip() for c in cells)
        if not branch:
            errors.append(f"第{line}行，branch：不能为空")
        indicator = indicators.get(code)
        if indicator is None:
            errors.append(f"第{line}行，indicator：方案中没有指标“{code}”")
            continue
        n_errors = len(errors)
        row = SheetRow(
            line, branch, code,
            _number(value, line, "value", errors, required=True),
            _number(value2, line, "value2", errors, required=isinstance(indicator.rule, TwoPartRule)),
            _number(previous, line, "previous", errors, required=indicator.target_kind == "year_on_year"),
        )
        if len(errors) == n_errors:
            rows.append(row)
    if errors:
        raise SheetError(errors)
    return rows


def score_sheet(*, version, text: str, targets: dict[str, Decimal], run_targets: dict[str, str]) -> list[tuple[str, str, str]]:
    """Score every row of a what-if sheet with a scheme version; rows come back in input order.

    A provincial-average target comes from `--target`, else from the scheme's latest computed run.
    """
    specs = {i.code: indicator_spec(i) for i in version.indicators.all()}
    unknown = [c for c in targets if c not in specs]
    if unknown:
        raise SheetError([f"--target：方案中没有指标“{c}”" for c in unknown])
    rows = read_sheet(text, specs)
    frame = pd.DataFrame(
        {"indicator": [r.indicator for r in rows], "value": [r.value for r in rows],
         "value2": [r.value2 for r in rows], "previous": [r.previous for r in rows]},
        index=[r.line for r in rows], dtype=object,
    )
    points: dict[int, Decimal] = {}
    errors = []
    for code, table in frame.groupby("indicator", sort=False):
        spec = specs[code]
        target = targets.get(code)
        if target is None and spec.target_kind == "provincial_average":
            recorded = (run_targets.get(code) or {}).get("value")
            if recorded is None:
                errors.append(f"指标 {code} 的考核值是全省平均，本方案尚无计算结果，请用 --target {code}=数值 指定")
                continue
            target = Decimal(recorded)
        scored = score_indicator(spec, table, target)
        points.update(scored["points"].to_dict())
    if errors:
        raise SheetError(errors)
    return [(r.branch, r.indicator, fmt(points[r.line], 2)) for r in rows]
