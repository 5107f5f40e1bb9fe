from django.urls import path

from integrations import views

urlpatterns = [
    path("", views.integration_list, name="integration_list"),
    path("<int:pk>/", views.integration_detail, name="integration_detail"),
    path("<int:pk>/secret/", views.integration_secret, name="integration_secret"),
    path("<int:pk>/test/", views.integration_ping, name="integration_ping"),
]
