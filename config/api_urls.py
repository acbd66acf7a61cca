"""Every app's REST endpoints under /api/v1/."""

from django.urls import include, path

urlpatterns = [
    path("", include("kpi.api.urls")),
    path("", include("complaints.api.urls")),
]
