"""The API's browsable documentation: Swagger UI and Redoc, served from local static files
(drf-spectacular-sidecar), never from a CDN.

Both inject their own styles at run time and Redoc builds its search index in a blob worker, so
these two pages (and only they) allow inline styles and blob workers; scripts stay 'self' only.
"""

from csp.decorators import csp_update
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView

_DOCS_CSP = {"style-src": ["'unsafe-inline'"], "worker-src": ["'self'", "blob:"]}


def swagger_view(url_name: str):
    view = SpectacularSwaggerSplitView.as_view(
        url_name=url_name, template_name="api/swagger_ui.html"
    )
    return csp_update(_DOCS_CSP)(view)


def redoc_view(url_name: str):
    view = SpectacularRedocView.as_view(url_name=url_name, template_name="api/redoc.html")
    return csp_update(_DOCS_CSP)(view)
