"""The API schema states every status an operation answers, with the one error body.

drf-spectacular documents the success responses each view declares; `AutoSchema` adds the
errors an operation of this API can answer (config/api.py gives them one shape), so a client
and Schemathesis read from the schema exactly what the server sends:

- 401 not authenticated, 403 not allowed, 406 an Accept header the API cannot answer: every
  operation; 404 no such object: an operation on `{id}`, and every read (a list's page past
  the last, an account named in the query);
- 400 bad input: every write, and a list's filters; 409 a conflict with the stored state and
  415 a body in a media type the operation does not read: every write; 422 an Idempotency-Key
  reused with another body: every write that takes one (the ledger's); 413 an upload past
  UPLOAD_MAX_MB: operations that take a file.
"""

from drf_spectacular import openapi
from rest_framework import serializers

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
DESCRIPTIONS = {
    "400": "Bad input: `errors` names each field and what is wrong.",
    "401": "Not authenticated.",
    "403": "Not allowed for this user.",
    "404": "No such object, or a page past the last.",
    "406": "The Accept header asks for a media type the API does not answer.",
    "409": "Conflicts with the stored state (an illegal transition, a duplicate).",
    "413": "The uploaded file is larger than UPLOAD_MAX_MB.",
    "415": "The body's media type is not one this operation reads.",
    "422": "This Idempotency-Key was already used with a different request.",
}


class ErrorSerializer(serializers.Serializer):
    """The one error body of the API."""

    status = serializers.IntegerField()
    code = serializers.CharField()
    detail = serializers.CharField()
    errors = serializers.DictField(
        required=False, help_text="Field (or row, in a batch) -> messages; only for bad input."
    )


class AutoSchema(openapi.AutoSchema):
    def _error_codes(self) -> list[str]:
        codes = ["401", "403", "406"]
        if "{" in self.path or self.method == "GET":  # no such object, page or referenced account
            codes.append("404")
        if self.method in WRITE_METHODS:
            codes += ["400", "409", "415"]
            if any(p.get("name") == "Idempotency-Key" for p in self._get_parameters()):
                codes.append("422")
            if any("multipart" in parser.media_type for parser in self._parsers()):
                codes.append("413")
        elif self.method == "GET":
            codes.append("400")
        return codes

    def _parsers(self):
        return (
            [type(parser) for parser in self.view.get_parsers()] if hasattr(self.view, "get_parsers") else []
        )

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in self._error_codes():
            if code not in responses:
                response = self._get_response_for_code(ErrorSerializer, code, direction=direction)
                response["description"] = DESCRIPTIONS[code]
                responses[code] = response
        return responses
