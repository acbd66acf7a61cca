"""benchmark_complaints prints every measure and leaves the database as it was (no assertions on timings)."""

import io

import pytest
from django.core.management import call_command

from branches.models import Branch, User
from complaints.models import Complaint, Extension, Pause

MEASURES = (
    "bulk_create cases",
    "bulk_create extensions + pauses",
    "derived_component_figures",
    "case list overdue=true",
    "case list due_within=3",
    "complaints_mark_overdue",
    "deadlines.py for 200 cases",
)


@pytest.mark.django_db
def test_benchmark_prints_every_measure_and_rolls_back(intake):
    existing = intake()  # a case of the small tree that must survive untouched
    out = io.StringIO()

    call_command("benchmark_complaints", "--cases", "200", "--branches", "2", stdout=out)

    text = out.getvalue()
    assert "database: " in text
    assert "== 200 cases, 2 prefectures" in text
    assert "cases 200," in text
    for measure in MEASURES:
        assert measure in text, measure
    assert "rolled back: 0 bench rows left" in text
    assert not Branch.objects.filter(code__startswith="bench-").exists()
    assert not Complaint.objects.filter(number__startswith="bench-").exists()
    assert not User.objects.filter(username__startswith="bench-").exists()
    assert list(Complaint.objects.values_list("pk", flat=True)) == [existing.pk]
    assert not Extension.objects.exists() and not Pause.objects.exists()
    existing.refresh_from_db()
    assert existing.is_overdue is False  # the overdue job's marks were rolled back too
