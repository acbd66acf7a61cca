from django.urls import path

from kpi import views

app_name = "kpi"
urlpatterns = [
    path("", views.home, name="home"),
    path("league/", views.league, name="league"),
    path("scores/<int:run_id>/<slug:branch_code>/", views.branch_scores, name="branch-scores"),
    path("scores/<int:run_id>/<slug:branch_code>/<slug:indicator_code>/", views.explanation, name="explanation"),
    path("reconciliation/", views.reconciliation, name="reconciliation"),
]
