"""The upload size limit (UPLOAD_MAX_MB), enforced while the body streams in.

Django's own settings do not bound a file: DATA_UPLOAD_MAX_MEMORY_SIZE limits the request body
*apart from* file uploads (form fields, JSON), and FILE_UPLOAD_MAX_MEMORY_SIZE is only the size
above which an upload is spooled to a temporary file instead of memory. `SizeLimitUploadHandler`
(first in FILE_UPLOAD_HANDLERS) skips a file as soon as the request announces more than the
limit, or its bytes pass the limit: the rest streams by and is dropped, never stored or held
whole. The view then answers with `upload_refusal(request)`: 413 and the message below.
"""

import csv

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.utils.translation import gettext as _

REFUSED = "upload_refused"


def upload_max_bytes() -> int:
    return settings.UPLOAD_MAX_MB * 1024 * 1024


def csv_field_limit_raise() -> None:
    """Let the csv module read a field as long as an upload may be (its default stops at 131,072
    characters with a csv.Error, which read as a broken file): the importer's own cell rule then
    names the long cell on its row. The limit is process-wide; it is only ever raised."""
    if csv.field_size_limit() < upload_max_bytes():
        csv.field_size_limit(upload_max_bytes())


def too_large_message() -> str:
    return _(
        "The file is larger than %(mb)d MB (UPLOAD_MAX_MB); split it into smaller files and upload each."
    ) % {"mb": settings.UPLOAD_MAX_MB}


def announced_too_large(request) -> bool:
    """Whether the request says (Content-Length) it is larger than the limit, before reading it."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > upload_max_bytes()


def upload_refusal(request) -> str | None:
    """The message for a request whose file was skipped for its size, or None."""
    raw = getattr(request, "_request", request)  # a DRF request wraps Django's
    return too_large_message() if getattr(raw, REFUSED, False) else None


class SizeLimitUploadHandler(FileUploadHandler):
    """Skip any uploaded file past UPLOAD_MAX_MB (see the module docstring)."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.announced = content_length or 0

    def _refuse(self):
        setattr(self.request, REFUSED, True)
        raise SkipFile

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        if getattr(self, "announced", 0) > upload_max_bytes():
            self._refuse()

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > upload_max_bytes():
            self._refuse()
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handlers store the file
