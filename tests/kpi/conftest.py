"""Fixtures for kpi tests: the shipped 2023 scheme on the small test tree, and a figure helper."""

import datetime
from decimal import Decimal

import pytest

from kpi import demo, services
from kpi.models import Component, MonthlyFigure


@pytest.fixture
def scheme(tree):
    """The 2023 scheme exactly as shipped, scoring the tree's prefectures (nanjing, wuxi)."""
    return services.scheme_load(data=demo.scheme_data())


@pytest.fixture
def figure(scheme):
    """Enter one monthly component figure: figure("nanjing", "sl_nonbank_passed", 2023, 1, "9448")."""

    def enter(branch, component, year, month, value):
        from branches.models import Branch

        return MonthlyFigure.objects.update_or_create(
            branch=Branch.objects.get(code=branch), component=Component.objects.get(code=component),
            month=datetime.date(year, month, 1), defaults={"value": Decimal(value)},
        )[0]

    return enter


@pytest.fixture
def run(scheme, figure):
    """The window 1月 computed from two branches' figures."""
    for branch, passed in (("nanjing", "9448"), ("wuxi", "9306")):
        figure(branch, "sl_nonbank_passed", 2023, 1, passed)
        figure(branch, "sl_nonbank_checked", 2023, 1, "10000")
    return services.score_run_compute(scheme=scheme, month=1)


@pytest.fixture
def published(run, users):
    """That window published by the office (revision 1)."""
    from kpi.publishing.services import window_publish

    return window_publish(scheme=run.scheme, month=1, user=users["officer"], note="1月排名")
