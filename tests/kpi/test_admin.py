"""The admin edits schemes and target overrides; figures and office scores are changed only on their pages."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from kpi.models import Component, MonthlyFigure, ScoreRun, TargetOverride


@pytest.mark.parametrize("model", ["monthlyfigure", "qualitativescore", "deduction", "veto"])
def test_figures_and_office_scores_cannot_be_added_in_the_admin(users, client_for, scheme, model):
    assert client_for(users["admin"]).get(f"/admin/kpi/{model}/add/").status_code == 403


def test_a_figure_month_is_always_the_first_day(scheme, tree):
    with pytest.raises(IntegrityError), transaction.atomic():
        MonthlyFigure.objects.create(
            branch=tree["nanjing"], component=Component.objects.first(), month=datetime.date(2023, 8, 15), value=1
        )


def test_a_target_override_names_an_indicator_of_the_scheme(scheme):
    override = TargetOverride(scheme=scheme, indicator_code="nope", month=8, value=Decimal("0.3"), reason="x")
    with pytest.raises(ValidationError) as err:
        override.full_clean()
    assert "没有该指标代码" in str(err.value)


def test_saving_an_override_in_the_admin_recomputes_its_window(users, client_for, scheme, figure, django_capture_on_commit_callbacks):
    figure("nanjing", "reg_complaints", 2023, 1, "3")
    figure("nanjing", "premium_wan", 2023, 1, "100000")
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(users["admin"]).post("/admin/kpi/targetoverride/add/", {
            "scheme": scheme.pk, "indicator_code": "reg_complaints_per_100m", "month": 1, "value": "0.3652",
            "reason": "总公司下发",
        })
    assert response.status_code == 302
    run = ScoreRun.objects.get(scheme=scheme, month=1, is_current=True)
    assert run.targets["reg_complaints_per_100m"]["value"] == "0.3652"


def test_a_component_turned_into_a_count_of_cases_recomputes_every_window_reading_everything(
    users, client_for, scheme, django_capture_on_commit_callbacks
):
    from kpi import services
    from kpi.models import RecomputeRequest

    for month in (1, 2):
        services.score_run_compute(scheme=scheme, month=month)
    component = Component.objects.get(code="reg_complaints")
    form = {"code": component.code, "name": component.name, "name_en": component.name_en, "unit": component.unit,
            "definition": component.definition, "source": "entered"}
    admin = client_for(users["admin"])
    with django_capture_on_commit_callbacks():
        assert admin.post(f"/admin/kpi/component/{component.pk}/change/", {**form, "name": "监管投诉"}).status_code == 302
        assert not RecomputeRequest.objects.exists()  # a new name changes no figure
        assert admin.post(f"/admin/kpi/component/{component.pk}/change/", {**form, "source": "derived"}).status_code == 302
    assert sorted(RecomputeRequest.objects.filter(done_at=None).values_list("month", "branches")) == [(1, None), (2, None)]
