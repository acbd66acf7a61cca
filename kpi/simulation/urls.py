"""Routes of the what-if simulator; appended to kpi.urls (namespace "kpi")."""

from django.urls import path

from kpi.simulation import views

urlpatterns = [
    path("simulate/", views.simulate_page, name="simulate"),
    path("simulate/results/", views.simulate_results, name="simulate-results"),
    path("simulate/sensitivity/", views.simulate_sensitivity, name="simulate-sensitivity"),
    path("simulate/backtest/", views.simulate_backtest, name="simulate-backtest"),
    path("simulate/save/", views.simulate_save, name="simulate-save"),
]
