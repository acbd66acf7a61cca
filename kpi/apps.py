from django.apps import AppConfig


class KpiConfig(AppConfig):
    name = "kpi"
    verbose_name = "考核"

    def ready(self):
        from core.events import figures_changed, locked_month_effects, tree_changed
        from kpi import services
        from kpi.publishing.selectors import on_locked_month_effects

        figures_changed.connect(services.on_figures_changed, dispatch_uid="kpi-recompute-on-figures-changed")
        tree_changed.connect(services.on_tree_changed, dispatch_uid="kpi-recompute-on-tree-changed")
        locked_month_effects.connect(on_locked_month_effects, dispatch_uid="kpi-locked-month-effects")
