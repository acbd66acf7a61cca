"""The office edits schemes here; a published version is read-only, a change starts a new draft."""

from django.contrib import admin, messages
from simple_history.admin import SimpleHistoryAdmin

from core.admin import ReadOnlyAdmin
from core.errors import ApplicationError
from kpi import services
from kpi.models import (
    Component,
    Deduction,
    Indicator,
    MonthlyFigure,
    QualitativeItem,
    QualitativeScore,
    Scheme,
    SchemeVersion,
    TargetOverride,
    Veto,
)


class FrozenWhenPublishedInline(admin.StackedInline):
    extra = 0

    def has_change_permission(self, request, obj=None):
        return obj is None or not obj.is_frozen

    has_add_permission = has_delete_permission = has_change_permission


class IndicatorInline(FrozenWhenPublishedInline):
    model = Indicator
    fields = [("code", "name", "name_en"), ("theme", "order", "unit", "precision", "source"),
              ("direction", "target_kind", "target_value", "target_value2"), ("base_points", "bonus_cap"), "rule", "inputs"]


class QualitativeItemInline(FrozenWhenPublishedInline, admin.TabularInline):
    model = QualitativeItem
    fields = ["code", "name", "max_points", "year_end_only", "order"]


@admin.register(SchemeVersion)
class SchemeVersionAdmin(SimpleHistoryAdmin):
    list_display = ["scheme", "number", "status", "published_at"]
    list_filter = ["status", "scheme"]
    readonly_fields = ["scheme", "number", "status", "published_at"]
    inlines = [IndicatorInline, QualitativeItemInline]
    actions = ["publish"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="发布所选草稿版本")
    def publish(self, request, queryset):
        for version in queryset:
            try:
                services.scheme_version_publish(version=version)
                self.message_user(request, f"{version} 已发布，相关排名将重新计算。")
            except ApplicationError as exc:
                self.message_user(request, f"{version}：{exc.message}", messages.ERROR)


@admin.register(Scheme)
class SchemeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "year", "level", "province"]
    actions = ["new_draft"]

    @admin.action(description="基于最新版本创建草稿(用于修改已发布方案)")
    def new_draft(self, request, queryset):
        for scheme in queryset:
            try:
                draft = services.scheme_version_create_draft(scheme=scheme)
                self.message_user(request, f"已创建 {draft}，修改后请发布。")
            except ApplicationError as exc:
                self.message_user(request, f"{scheme}：{exc.message}", messages.ERROR)


@admin.register(Component)
class ComponentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "unit", "source"]
    list_filter = ["source"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and {"code", "source"} & set(form.changed_data):  # entered or counted from the cases, and as what
            services.recompute_every_published_scheme()


class ReadOnlyHistoryAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    """Shown with its history, changed only through the pages whose services check, lock and record."""


@admin.register(MonthlyFigure)
class MonthlyFigureAdmin(ReadOnlyHistoryAdmin):
    list_display = ["branch", "month", "component", "value", "updated_at"]
    list_filter = ["branch", "component"]
    date_hierarchy = "month"


@admin.register(QualitativeScore)
class QualitativeScoreAdmin(ReadOnlyHistoryAdmin):
    list_display = ["scheme", "branch", "item_code", "month", "score", "unpublished"]
    list_filter = ["scheme", "branch", "month"]


@admin.register(Deduction)
class DeductionAdmin(ReadOnlyHistoryAdmin):
    list_display = ["scheme", "branch", "month", "points", "reason"]
    list_filter = ["scheme", "branch"]


@admin.register(Veto)
class VetoAdmin(ReadOnlyHistoryAdmin):
    list_display = ["scheme", "branch", "month", "reason"]


@admin.register(TargetOverride)
class TargetOverrideAdmin(SimpleHistoryAdmin):
    """The official target of a window; every change recomputes the windows it touched."""

    list_display = ["scheme", "indicator_code", "month", "value", "reason"]

    def save_model(self, request, obj, form, change):
        first = min(obj.month, form.initial.get("month") or obj.month)
        super().save_model(request, obj, form, change)
        services.recompute_on_commit(scheme=obj.scheme, month=first)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        services.recompute_on_commit(scheme=obj.scheme, month=obj.month)

    def delete_queryset(self, request, queryset):
        touched = list(queryset.values_list("scheme_id", "month"))
        super().delete_queryset(request, queryset)
        for scheme_id, month in touched:
            services.recompute_on_commit(scheme=Scheme.objects.get(pk=scheme_id), month=month)
