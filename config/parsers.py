"""Request body parsers of the API: JSON with a nesting limit, forms and multipart.

A JSON body nested deeper than JSON_MAX_DEPTH (no input of the API nests more than a few levels)
is refused with 400 before it is decoded, so a body of 5,000 nested brackets can exhaust
neither the decoder's recursion nor anything that walks the result afterwards.
"""

import io

from rest_framework import parsers
from rest_framework.exceptions import ParseError

JSON_MAX_DEPTH = 32


def json_depth_exceeds(raw: bytes, limit: int = JSON_MAX_DEPTH) -> bool:
    """Whether the brackets of a JSON text (outside strings) nest deeper than `limit`."""
    depth = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing bodies nested deeper than JSON_MAX_DEPTH."""

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        if json_depth_exceeds(raw):
            raise ParseError(f"JSON parse error - the body is nested more than {JSON_MAX_DEPTH} levels deep.")
        try:
            return super().parse(io.BytesIO(raw), media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply.") from None


FormParser = parsers.FormParser
MultiPartParser = parsers.MultiPartParser
