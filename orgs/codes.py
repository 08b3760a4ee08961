"""Codes that name things in URLs (`/mes/<code>/`) and the words those URLs reserve.

A page such as `/mes/new/` sits where `/mes/<code>/` would; an ME coded `new` could then never
be opened. Every service that takes a code refuses these words, and a test walks the URL
patterns so a new literal route beside a `<slug:code>` one must be listed here.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

RESERVED_CODES = frozenset(
    {
        "applications",
        "edit",
        "export",
        "import",
        "new",
    }
)


def is_reserved_code(code: str) -> bool:
    return (code or "").strip().lower() in RESERVED_CODES


def check_code_not_reserved(code: str, *, field: str = "code") -> None:
    """Refuse a code that a page's address already uses (`new`, `import`, ...)."""
    if is_reserved_code(code):
        raise ValidationError(
            {field: _("“%(code)s” is reserved for a page's address; choose another code.") % {"code": code}}
        )
