"""The portal's URLs: public pages, staff admin, API. Each app mounts its own urls modules."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from core import api_docs
from core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    # Browsers ask for /favicon.ico on pages (the admin's) that do not name an icon.
    path("favicon.ico", core_views.favicon),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("jingkou.api_urls")),
    # The OpenAPI schema of /api/v1/, browsable with Swagger UI and Redoc (local static files).
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", api_docs.swagger_view("api-schema"), name="api-docs"),
    path("api/redoc/", api_docs.redoc_view("api-schema"), name="api-redoc"),
    path("open311/v2/", include("open311.urls")),
    path("", include("grids.urls")),
    path("", include("resident_requests.urls")),
    path("", include("notifications.urls")),
    path("", include("dashboards.urls")),
    path("", include("party_work.urls")),
    path("", include("ops.urls")),
    # Two-factor sign-in: the code after the password, and setting up a device (core.two_factor)
    path("", include("core.urls")),
]

# Under /api/ Django's own error pages answer JSON in the API's error shape (core.api.Error).
handler400 = "core.api.bad_request"
handler403 = "core.api.permission_denied"
handler404 = "core.api.page_not_found"
handler500 = "core.api.server_error"

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
