"""Administration: the holiday calendar (edits go through the services, so open deadlines are recomputed) and a
read-only view of cases. Cases change only through the case pages and the API, which keep the timeline."""

from django.contrib import admin, messages
from simple_history.admin import SimpleHistoryAdmin

from complaints import services
from complaints.models import CalendarDay, CalendarYear, CaseEvent, Complaint
from core.errors import ApplicationError


@admin.register(CalendarYear)
class CalendarYearAdmin(SimpleHistoryAdmin):
    list_display = ["year", "source", "notice", "updated_at", "updated_by"]
    readonly_fields = ["year", "source", "updated_by"]

    def has_add_permission(self, request):
        return False  # a year is entered as a whole through 放假安排 → 导入


@admin.register(CalendarDay)
class CalendarDayAdmin(SimpleHistoryAdmin):
    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    date_hierarchy = "date"

    def save_model(self, request, obj, form, change):
        try:
            services.calendar_day_set(actor=request.user, day=obj.date, kind=obj.kind, name=obj.name)
        except ApplicationError as exc:
            messages.error(request, exc.message)

    def delete_model(self, request, obj):
        services.calendar_day_delete(actor=request.user, day=obj.date)


class EventInline(admin.TabularInline):
    model = CaseEvent
    fields = ["at", "kind", "message", "actor"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    # Customers' personal data is left out: administrators do not need it.
    list_display = ["number", "branch", "source", "category", "status", "received_on", "decision_due_on", "is_overdue"]
    list_filter = ["status", "source", "category", "is_overdue", "branch"]
    search_fields = ["number", "regulator_ref", "policy_number"]
    list_select_related = ["branch"]
    exclude = ["customer_name", "customer_phone", "customer_id_number"]
    inlines = [EventInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
