"""Writes of the simulator: a simulation saved as a draft scheme version (the only thing it ever writes)."""

from django.db import transaction

from core.errors import ApplicationError
from kpi import services as kpi_services
from kpi.models import Scheme, SchemeVersion
from kpi.rules import INDICATOR_FIELDS
from kpi.simulation.changes import SimulationChanges
from kpi.simulation.selectors import simulate


@transaction.atomic
def simulation_save_draft(*, scheme: Scheme, month: int, changes: SimulationChanges) -> SchemeVersion:
    """Save a simulation's rule changes as a new draft version, with its diff to the version in force as the notes.

    The draft is made by kpi.services.scheme_version_create_draft and published through the existing
    publish path; qualitative scores and deductions are office inputs, not rules, and are not saved.
    """
    simulation = simulate(scheme=scheme, month=month, changes=changes)
    if not simulation.notes:
        raise ApplicationError("模拟没有修改任何计分规则，无需保存为草稿版本。")
    draft = kpi_services.scheme_version_create_draft(scheme=scheme)
    for indicator in draft.indicators.all():
        definition = simulation.definitions.get(indicator.code)
        if definition is None:
            indicator.delete()
            continue
        for name in INDICATOR_FIELDS:
            setattr(indicator, name, definition[name])
        indicator.full_clean(exclude=["version"])
        indicator.save()
    base = simulation.base.version
    draft.notes = "\n".join([f"由模拟生成（以 v{base.number} 为基准，1–{month}月窗口试算）：", *simulation.notes])
    draft.save(update_fields=["notes"])
    return draft
