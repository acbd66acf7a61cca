"""Administration: read-only views of the holiday calendar and of cases.

The calendar changes only through its pages (放假安排), which check the rules and recompute open
deadlines; cases only through the case pages and the API, which keep the timeline.
"""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from complaints.models import CalendarDay, CalendarYear, CaseEvent, Complaint
from core.admin import ReadOnlyAdmin


@admin.register(CalendarYear)
class CalendarYearAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    list_display = ["year", "source", "notice", "updated_at", "updated_by"]


@admin.register(CalendarDay)
class CalendarDayAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    date_hierarchy = "date"


class EventInline(admin.TabularInline):
    model = CaseEvent
    fields = ["at", "kind", "message", "actor"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Complaint)
class ComplaintAdmin(ReadOnlyAdmin):
    # Customers' personal data is left out: administrators do not need it.
    list_display = ["number", "branch", "source", "category", "status", "received_on", "decision_due_on", "is_overdue"]
    list_filter = ["status", "source", "category", "is_overdue", "branch"]
    search_fields = ["number", "regulator_ref", "policy_number"]
    list_select_related = ["branch"]
    exclude = ["customer_name", "customer_phone", "customer_id_number"]
    inlines = [EventInline]
