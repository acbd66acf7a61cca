"""Routes of branch data entry, review and office scores; appended to kpi.urls (namespace "kpi")."""

import datetime

from django.urls import path, register_converter

from core.parsing import parse_month
from kpi.entries import views


class MonthConverter:
    """YYYY-MM in the path ↔ the month's first day; anything else does not match (404)."""

    regex = r"[0-9]{4}-[0-9]{2}"

    def to_python(self, value: str) -> datetime.date:
        return parse_month(value)  # an InputError (a ValueError) for 2023-13 or 0001-01: no match, 404

    def to_url(self, value) -> str:
        return value if isinstance(value, str) else f"{value:%Y-%m}"


register_converter(MonthConverter, "yyyymm")

urlpatterns = [
    path("entries/", views.entries_index, name="entries"),
    path("entries/<slug:branch_code>/<yyyymm:month>/", views.entry_form, name="entry-form"),
    path("entries/<slug:branch_code>/<yyyymm:month>/preview/", views.entry_preview, name="entry-preview"),
    path("entries/<slug:branch_code>/<yyyymm:month>/history/", views.entry_history, name="entry-history"),
    path("entries/<slug:branch_code>/<yyyymm:month>/approve/", views.entry_approve, name="entry-approve"),
    path("entries/<slug:branch_code>/<yyyymm:month>/return/", views.entry_return, name="entry-return"),
    path("entries/<slug:branch_code>/<yyyymm:month>/reopen/", views.entry_reopen, name="entry-reopen"),
    path("review/", views.review_home, name="review"),
    path("review/<yyyymm:month>/", views.review_month, name="review-month"),
    path("review/<yyyymm:month>/remind/", views.review_remind, name="review-remind"),
    path("notices/", views.notices, name="notices"),
    path("notices/<int:pk>/read/", views.notice_read, name="notice-read"),
    path("office/", views.office_home, name="office"),
    path("office/<yyyymm:month>/", views.office_month, name="office-month"),
    path("office/<yyyymm:month>/<slug:branch_code>/", views.office_branch, name="office-branch"),
    path("office/<yyyymm:month>/<slug:branch_code>/qualitative/", views.office_qualitative, name="office-qualitative"),
    path("office/<yyyymm:month>/<slug:branch_code>/deductions/", views.office_deduction_add, name="office-deduction-add"),
    path(
        "office/<yyyymm:month>/<slug:branch_code>/deductions/<int:pk>/delete/",
        views.office_deduction_delete,
        name="office-deduction-delete",
    ),
    path("office/<yyyymm:month>/<slug:branch_code>/veto/", views.office_veto_set, name="office-veto-set"),
    path("office/<yyyymm:month>/<slug:branch_code>/veto/<int:pk>/revoke/", views.office_veto_revoke, name="office-veto-revoke"),
    path("attachments/<str:kind>/<int:pk>/", views.attachment, name="attachment"),
    path("history/", views.history, name="history"),
]
