"""The preview's memo of explained cells and next steps: a keystroke scores exactly as a fresh preview would."""

import datetime
from decimal import Decimal

from branches.models import Branch
from kpi import services
from kpi.scoring import next_step as next_step_module
from kpi.scoring import window as window_module
from kpi.scoring.memo import Memo
from tests.kpi.test_national import _month_figures


def test_the_memo_keys_by_the_exact_text_and_the_subjects_identity():
    calls = []

    def compute(value):
        calls.append(value)
        return f"{value}"

    memo, subject = Memo(8), object()
    assert memo.get(subject, (Decimal("1.0"),), lambda: compute(Decimal("1.0"))) == "1.0"
    # equal and of equal hash, but written differently: worked out again
    assert memo.get(subject, (Decimal("1.00"),), lambda: compute(Decimal("1.00"))) == "1.00"
    assert memo.get(subject, (Decimal("1.0"),), lambda: compute(Decimal("1.0"))) == "1.0"
    assert memo.get(object(), (Decimal("1.0"),), lambda: compute("other")) == "other"  # another subject
    assert calls == [Decimal("1.0"), Decimal("1.00"), "other"]


def test_the_memo_stays_within_its_size():
    memo, subject = Memo(3), object()
    for n in range(10):
        memo.get(subject, (n,), lambda n=n: n)
        assert len(memo) <= 3


def _preview(scheme, branch, code, value):
    from kpi.entries.preview import entries_preview
    from kpi.entries.selectors import entry_layout

    layout = entry_layout(version=scheme.version_in_force())
    result = entries_preview(scheme=scheme, layout=layout, branch=branch, month=datetime.date(2023, 3, 1), typed={code: Decimal(value)})
    return {c: (p.points, p.target, p.steps, p.hints, p.ytd_value) for c, p in result.indicators.items()}, result.total


def test_every_keystroke_scores_exactly_as_a_fresh_preview_and_its_steps_are_its_own(scheme, figure, tree):
    _month_figures(figure, [1, 2, 3])
    services.recompute_pending(scheme=scheme, months=[2, 3])
    nanjing = Branch.objects.get(code="nanjing")
    code = "sl_nonbank_passed"
    for value in ("10", "150", "151", "10"):  # the last one again: looked up
        got = _preview(scheme, nanjing, code, value)
        for steps in (p[2] for p in got[0].values()):
            steps.append("changed by the caller")
        again = _preview(scheme, nanjing, code, value)  # looked up: the caller's change is not in it
        window_module._EXPLAINED.clear()
        next_step_module._FOUND.clear()
        fresh = _preview(scheme, nanjing, code, value)
        assert again == fresh, value
        assert {c: p[2][:-1] for c, p in got[0].items()} == {c: p[2] for c, p in fresh[0].items()}
        assert any(p[2] for p in fresh[0].values())
    assert len(window_module._EXPLAINED) > 0  # the memo was used
