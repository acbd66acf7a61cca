from django.urls import path

from complaints.api import views

urlpatterns = [
    path("complaints/", views.ComplaintListCreateApi.as_view(), name="api-complaints"),
    path("complaints/<int:pk>/", views.ComplaintDetailApi.as_view(), name="api-complaint-detail"),
    path("complaints/<int:pk>/timeline/", views.ComplaintTimelineApi.as_view(), name="api-complaint-timeline"),
    *[
        path(f"complaints/<int:pk>/{name}/", view.as_view(), name=f"api-complaint-{name}")
        for name, view in views.STEP_VIEWS.items()
    ],
    path("calendar/add-workdays/", views.AddWorkdaysApi.as_view(), name="api-add-workdays"),
]
