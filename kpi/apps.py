from django.apps import AppConfig


class KpiConfig(AppConfig):
    name = "kpi"
    verbose_name = "考核"

    def ready(self):
        from core.events import figures_changed
        from kpi import services

        figures_changed.connect(services.on_figures_changed, dispatch_uid="kpi-recompute-on-figures-changed")
        from core.events import tree_changed

        tree_changed.connect(services.on_tree_changed, dispatch_uid="kpi-recompute-on-tree-changed")
        from core.events import locked_month_effects
        from kpi.publishing.selectors import on_locked_month_effects

        locked_month_effects.connect(on_locked_month_effects, dispatch_uid="kpi-locked-month-effects")
