from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("integrations/", include("integrations.urls")),
    path("", include("assessments.urls")),
    path("api/", include("api.urls")),
    path("api-tokens/", include("api.urls_pages")),
]
