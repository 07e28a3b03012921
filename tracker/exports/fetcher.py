"""The only way the PDF renderer may load anything: the pictures it was handed (`picture:`
URLs, from memory), data: URLs and the project's static files.

WeasyPrint fetches every URL a document mentions (stylesheets, images, fonts). The summary
contains text people typed (notes, hold reasons), which Django escapes; this fetcher is the
second lock: even if markup got through, it could not make the server call a URL (no
http, https, ftp...) or read a file outside the static directories (no file:///etc/passwd,
no ../ or symbolic link out of them). Refused URLs raise; WeasyPrint then leaves the resource
out and logs a warning.
"""

import base64
import logging
import mimetypes
from functools import cache
from pathlib import Path
from urllib.parse import unquote_to_bytes, urlsplit
from urllib.request import url2pathname

from django.conf import settings
from django.contrib.staticfiles import finders
from weasyprint.urls import URLFetcher, URLFetcherResponse

log = logging.getLogger(__name__)


# The scheme of the pictures a render is handed (the course's charts): `picture:<name>`.
PICTURE_SCHEME = "picture"


class URLRefused(ValueError):
    """The PDF asked for a URL outside its pictures, data: and the static directories."""


@cache
def static_roots() -> tuple[Path, ...]:
    """Every directory the staticfiles finders serve from, plus STATIC_ROOT, resolved."""
    roots = []
    for finder in finders.get_finders():
        for _prefix, root in getattr(finder, "locations", ()):
            roots.append(root)
        for storage in getattr(finder, "storages", {}).values():
            location = getattr(storage, "location", None)
            if location:
                roots.append(location)
    if settings.STATIC_ROOT:
        roots.append(settings.STATIC_ROOT)
    resolved = []
    for root in roots:
        path = Path(root).resolve()
        if path.is_dir() and path not in resolved:
            resolved.append(path)
    return tuple(resolved)


def static_file_url(name: str) -> str:
    """The file: URL of a static file (as the finders resolve `name`), for the PDF template."""
    path = finders.find(name)
    if path is None:
        raise FileNotFoundError(f"static file {name!r} not found")
    return Path(path).resolve().as_uri()


class StaticOnlyURLFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that never touches the network and reads only static files
    and the `pictures` it is given ({"picture:<name>": PNG bytes})."""

    def __init__(self, pictures=None):
        # No redirects and no network handlers are ever used: fetch() below answers itself.
        super().__init__(timeout=1, allowed_protocols=("data", "file"), allow_redirects=False)
        self.pictures = dict(pictures or {})

    def fetch(self, url, headers=None):
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == PICTURE_SCHEME:
            return self._picture(url)
        if scheme == "data":
            return self._data(url)
        if scheme == "file":
            return self._static_file(url)
        log.warning("PDF export refused a URL with scheme %r", scheme)
        raise URLRefused(f"the PDF may not load {scheme or 'relative'} URLs")

    def _picture(self, url):
        body = self.pictures.get(url)
        if body is None:
            raise URLRefused("no such picture in this render")
        return URLFetcherResponse(url, body=body, headers={"Content-Type": "image/png"})

    @staticmethod
    def _data(url):
        header, comma, payload = url[len("data:") :].partition(",")
        if not comma:
            raise URLRefused("malformed data: URL")
        media_type, *params = header.split(";")
        if params and params[-1].lower() == "base64":
            body = base64.b64decode(unquote_to_bytes(payload), validate=False)
        else:
            body = unquote_to_bytes(payload)
        return URLFetcherResponse(
            url, body=body, headers={"Content-Type": media_type or "text/plain"}
        )

    @staticmethod
    def _static_file(url):
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise URLRefused("file URLs on other hosts are refused")
        try:
            path = Path(url2pathname(parts.path)).resolve(strict=True)
        except (OSError, RuntimeError) as error:
            raise URLRefused("no such static file") from error
        if not path.is_file() or not any(path.is_relative_to(root) for root in static_roots()):
            log.warning("PDF export refused a file outside the static directories")
            raise URLRefused("only the project's static files may be loaded")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(
            path.as_uri(), body=path.read_bytes(), headers={"Content-Type": content_type}
        )
