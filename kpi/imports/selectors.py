"""Reads for imports: the catalogue of names, the stored state an import is compared with, the scheme it is for."""

from django.utils import timezone

from branches.models import Branch, BranchAlias
from branches.permissions import can_review_figures, visible_branch_ids
from kpi import selectors as kpi_selectors
from kpi.choices import SchemeStatus, Source
from kpi.entries.selectors import entry_scheme, office_scheme
from kpi.imports.catalogue import Catalogue
from kpi.imports.validation import State, Value
from kpi.models import Component, ImportBatch, MonthlyFigure, MonthlySubmission, Scheme
from kpi.rules import indicator_inputs


def import_scheme(*, user, code: str | None, year: int | None) -> Scheme | None:
    """The scheme an import is checked against: the one named, else the one the user works on in that year."""
    if code:
        return Scheme.objects.filter(code=code, versions__status=SchemeStatus.PUBLISHED).select_related("province").distinct().first()
    year = year or timezone.localdate().year
    if can_review_figures(user):
        return office_scheme(user=user, year=year)
    return entry_scheme(branch=user.branch, year=year) if user.branch_id else None


def catalogue_for(*, scheme: Scheme | None) -> Catalogue:
    """Every name an import may use: the scheme's branches (codes, names, short names, confirmed aliases) and
    the components (codes, names, indicator name + 分子/分母)."""
    catalogue = Catalogue()
    if scheme is not None:
        branches = list(kpi_selectors.scored_branches(scheme=scheme))
        catalogue.add_totals(scheme.province.name)
    else:
        branches = list(Branch.objects.all())
    aliases: dict[int, list[str]] = {}
    for alias in BranchAlias.objects.filter(branch__in=branches):
        aliases.setdefault(alias.branch_id, []).append(alias.name)
    for b in branches:
        catalogue.add_branch(b.code, b.name, aliases.get(b.pk, ()))
    for c in Component.objects.all():
        catalogue.add_component(c.code, c.name, c.unit, derived=c.source == Source.DERIVED, name_en=c.name_en)
    version = scheme.version_in_force() if scheme is not None else None
    if version is not None:
        for indicator in version.indicators.order_by("order"):
            inputs = indicator_inputs(indicator)
            roles = {role: getattr(inputs, role) for role in ("numerator", "denominator", "numerator2", "denominator2")
                     if getattr(inputs, role, None)}
            catalogue.add_indicator(indicator.name, roles, percent=indicator.unit == "%", parts_of=inputs.components)
            if indicator.source == Source.DERIVED:
                for code in inputs.components:
                    catalogue.derived.add(code)
                    catalogue.entered.discard(code)
    return catalogue


def import_state(*, values: list[Value], user, codes: dict[str, int]) -> State:
    """The stored values and month statuses of the branches and months in `values`, and what the user may write."""
    branch_ids = {codes[v.branch] for v in values}
    months = {v.month for v in values}
    by_id = {pk: code for code, pk in codes.items()}
    stored, status, revisions = {}, {}, {}
    if values:
        rows = MonthlyFigure.objects.filter(branch_id__in=branch_ids, month__in=months).values_list(
            "branch_id", "month", "component__code", "value")
        stored = {(by_id[b], m, c): v for b, m, c, v in rows if b in by_id}
        subs = MonthlySubmission.objects.filter(branch_id__in=branch_ids, month__in=months).values_list(
            "branch_id", "month", "status", "revision")
        status = {(by_id[b], m): s for b, m, s, _ in subs if b in by_id}
        revisions = {(by_id[b], m): r for b, m, _, r in subs if b in by_id}
    visible = visible_branch_ids(user)
    return State(
        stored=stored,
        status=status,
        revisions=revisions,
        editable=None if visible is None else {code for code, pk in codes.items() if pk in visible},
        office=can_review_figures(user),
        this_month=timezone.localdate().replace(day=1),
    )


def batches_for(*, user, limit: int = 20):
    """The user's recent imports, newest first."""
    return ImportBatch.objects.filter(user=user).select_related("scheme").defer("content")[:limit]


def template_data(*, scheme: Scheme, month, user) -> dict:
    """What the month's template holds: the scheme's entry layout, the user's branches and their stored figures."""
    from kpi.entries.selectors import entry_layout

    branches = list(kpi_selectors.scored_branches(scheme=scheme))
    visible = visible_branch_ids(user)
    if visible is not None:
        branches = [b for b in branches if b.pk in visible]
    stored = {
        (b, c): v
        for b, c, v in MonthlyFigure.objects.filter(branch__in=branches, month=month).values_list("branch_id", "component__code", "value")
    }
    return {"layout": entry_layout(version=scheme.version_in_force()), "branches": branches, "stored": stored}


def alias_targets(*, scheme: Scheme | None, user) -> list:
    """The branches an office user may name as an alias's branch."""
    branches = kpi_selectors.scored_branches(scheme=scheme) if scheme else Branch.objects.all()
    visible = visible_branch_ids(user)
    return [b for b in branches if visible is None or b.pk in visible]
