"""`manage.py score_sheet`: what-if scoring of a CSV, exactly as specified, writing nothing."""

import csv
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from kpi.demo import DEMO_DIR, read_csv
from kpi.models import BranchScore, ScoreRun

HEADER = "branch,indicator,value,value2,previous\n"


def run_sheet(tmp_path, body, *targets, scheme="jiangsu-2023"):
    path = tmp_path / "sheet.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    args = ["score_sheet", "--scheme", scheme, str(path)]
    for t in targets:
        args += ["--target", t]
    call_command(*args, stdout=out, stderr=err)
    return list(csv.reader(io.StringIO(out.getvalue()))), err.getvalue()


def test_scores_rows_in_input_order_with_two_decimals(scheme, tmp_path):
    rows, _ = run_sheet(
        tmp_path,
        "甲,sl_nonbank,95.01,,\n乙(虚拟),callback,99.9,95,\n甲,own_complaints_count,66,,68\n甲,claim_cycle_claim,1.48,,\n",
    )
    assert rows == [
        ["branch", "indicator", "score"],
        ["甲", "sl_nonbank", "4.20"],
        ["乙(虚拟)", "callback", "2.00"],
        ["甲", "own_complaints_count", "3.60"],
        ["甲", "claim_cycle_claim", "5.00"],
    ]


def test_the_published_sheet_scores_as_the_journal_with_the_implied_target(scheme, tmp_path):
    published = read_csv(DEMO_DIR / "published_indicator_values_and_scores.csv")
    body = "".join(f"{r['branch']},{r['indicator']},{r['value']},{r['value2']},{r['previous']}\n" for r in published)
    rows, _ = run_sheet(tmp_path, body, "reg_complaints_per_100m=0.3652")
    scored = rows[1:]
    assert [(b, i) for b, i, _ in scored] == [(r["branch"], r["indicator"]) for r in published]
    differ = [(r, s) for r, (_, _, s) in zip(published, scored) if Decimal(s) != Decimal(r["published_score"])]
    # Printed values carry 2 decimals, so 4 regulator-rate cells land within 0.05 of the journal.
    assert len(differ) == 4
    assert {r["branch"] for r, _ in differ} == {"nanjing", "wuxi", "changzhou", "nantong"}
    assert all(abs(Decimal(s) - Decimal(r["published_score"])) <= Decimal("0.05") for r, s in differ)


def test_bad_rows_are_all_reported_by_line_and_nothing_is_scored(scheme, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        HEADER + "甲,sl_nonbank,abc,,\n甲,no_such,1,,\n甲,callback,99,,\n甲,own_complaints_count,5,,\n甲,sl_bank,-1,,\n",
        encoding="utf-8",
    )
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("score_sheet", "--scheme", "jiangsu-2023", str(path), stdout=io.StringIO(), stderr=err)
    text = err.getvalue()
    for expected in ("第2行，value", "第3行，indicator", "第4行，value2", "第5行，previous", "第6行，value"):
        assert expected in text, expected


def test_a_wrong_header_is_refused(scheme, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("机构,指标,值\n甲,sl_nonbank,95\n", encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("score_sheet", "--scheme", "jiangsu-2023", str(path), stdout=io.StringIO(), stderr=err)
    assert "第1行" in err.getvalue()


def test_a_provincial_average_indicator_needs_a_target_when_none_was_computed(scheme, tmp_path):
    with pytest.raises(CommandError):
        run_sheet(tmp_path, "甲,reg_complaints_per_100m,0.3,,\n")
    rows, _ = run_sheet(tmp_path, "甲,reg_complaints_per_100m,0.3,,\n", "reg_complaints_per_100m=0.3")
    assert rows[1] == ["甲", "reg_complaints_per_100m", "10.00"]


def test_unknown_scheme_and_bad_target_are_refused(scheme, tmp_path):
    with pytest.raises(CommandError, match="没有代码"):
        run_sheet(tmp_path, "甲,sl_nonbank,95,,\n", scheme="nope")
    with pytest.raises(CommandError):
        run_sheet(tmp_path, "甲,sl_nonbank,95,,\n", "sl_nonbank")


def test_score_sheet_writes_nothing_to_the_database(scheme, tmp_path):
    before = (ScoreRun.objects.count(), BranchScore.objects.count())
    run_sheet(tmp_path, "甲,sl_nonbank,95,,\n")
    assert (ScoreRun.objects.count(), BranchScore.objects.count()) == before
