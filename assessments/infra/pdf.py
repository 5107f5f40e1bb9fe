"""HTML to PDF on the server, with WeasyPrint, fetching nothing but our own static files.

WeasyPrint would otherwise follow any URL in the page (a stylesheet, an image, a font) over the
network or the file system. The pages we render hold user text (partner names, notes, action
descriptions); Django escapes it, but a renderer that can reach out is one escaping bug away from
a server-side request. So ``StaticOnlyFetcher`` answers only ``STATIC_URL`` paths on the fixed,
made-up origin the HTML is rendered against, from the static files finders (no web server
needed), and refuses everything else: WeasyPrint then draws the page without that resource.

WeasyPrint needs Pango and fonts from the system (Debian: libpango-1.0-0, libpangoft2-1.0-0,
fonts-dejavu-core; the README's "PDF rendering" and ``.ci/run`` install them).
"""

from __future__ import annotations

import logging
import mimetypes
import time
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders

logger = logging.getLogger(__name__)

# The origin pages are rendered against. ".invalid" never resolves (RFC 6761), so even a fetcher
# bug could not reach a real host through it.
BASE_URL = "https://partnerhealth.invalid/"


class FetchRefused(ValueError):
    """A resource outside our static files: the PDF is drawn without it."""


def static_path_for(url: str) -> str | None:
    """The static file a URL on ``BASE_URL`` names ('css/app.css'), or None for any other URL."""
    parts = urlsplit(url)
    base = urlsplit(BASE_URL)
    if (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
        return None
    prefix = settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/" + settings.STATIC_URL
    path = unquote(parts.path)
    if not path.startswith(prefix):
        return None
    relative = path[len(prefix) :]
    # No climbing out of the static directories, whatever the finders would do with it.
    if not relative or relative.startswith("/") or any(part in ("..", "") for part in relative.split("/")):
        return None
    return relative


def _fetcher_class():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        def __init__(self):
            super().__init__(allowed_protocols=("https",), allow_redirects=False, fail_on_errors=False)
            self.refused: list[str] = []

        def fetch(self, url, headers=None):
            relative = static_path_for(url)
            found = finders.find(relative) if relative else None
            if not found:
                self.refused.append(url)
                logger.warning("PDF rendering refused to fetch %s", url)
                raise FetchRefused(f"Only our static files are fetched, not {url}")
            with open(found, "rb") as handle:
                body = handle.read()
            mime_type = mimetypes.guess_type(found)[0] or "application/octet-stream"
            return URLFetcherResponse(url, body, {"Content-Type": mime_type})

    return StaticOnlyFetcher


def static_only_fetcher():
    """A WeasyPrint URL fetcher that serves our static files and refuses every other URL."""
    return _fetcher_class()()


@dataclass(frozen=True)
class RenderedPdf:
    content: bytes
    seconds: float
    refused: tuple[str, ...]


def pdf_from_html(html: str) -> RenderedPdf:
    """The PDF of an HTML page rendered against ``BASE_URL`` (links to /static/... resolve there)."""
    # Imported here: loading WeasyPrint loads Pango, which only the PDF needs.
    from weasyprint import HTML

    fetcher = static_only_fetcher()
    started = time.perf_counter()
    content = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).write_pdf()
    seconds = time.perf_counter() - started
    logger.info("PDF rendered: %d bytes in %.2f s", len(content), seconds)
    return RenderedPdf(content=content, seconds=seconds, refused=tuple(fetcher.refused))
