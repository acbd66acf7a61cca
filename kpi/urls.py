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

# Branch data entry, review and office scores (issue 4).
from kpi.entries.urls import urlpatterns as entries_urlpatterns  # noqa: E402

urlpatterns += entries_urlpatterns
