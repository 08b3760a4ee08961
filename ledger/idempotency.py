"""Idempotency-Key for every API write.

- no header: 400 with a clear message;
- a key seen before with the same request fingerprint (method + path + canonical body):
  the first response is replayed (header `Idempotent-Replayed: true`) and nothing is written;
- the same key with a different request: 422.

The record is inserted FIRST, inside the same DB transaction as the write: two concurrent
requests with one key serialize on the unique (user, key) index; the loser waits, gets an
IntegrityError when the winner commits, and replays the winner's response.

A write refused with a client error (400, 404, 409, 422 ...) is recorded too: its transaction
rolls back (nothing of the write stays), then the error response is stored in its own atomic
block, so a replay returns that first response even if the state changed meanwhile (a fixed
body needs a new key: the same key with it is a 422). Not recorded: 5xx (a server fault: retry
with the same key) and 401/403 (refused before the write is even considered).
"""

import hashlib
import json
from functools import wraps

from django.db import IntegrityError, transaction
from rest_framework import status
from rest_framework.response import Response

from config.api import error_body
from ledger.models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def request_fingerprint(request) -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(b"\0")
    digest.update(request.path.encode())
    digest.update(b"\0")
    files = getattr(request, "FILES", None)
    if files:
        data = {k: v for k, v in request.data.items() if k not in files}
        digest.update(json.dumps(data, sort_keys=True, default=str).encode())
        for name in sorted(files):
            upload = files[name]
            digest.update(name.encode())
            for chunk in upload.chunks():
                digest.update(chunk)
            upload.seek(0)
    else:
        digest.update(json.dumps(request.data, sort_keys=True, default=str, separators=(",", ":")).encode())
    return digest.hexdigest()


def _replay(record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.fingerprint != fingerprint:
        return Response(
            error_body(
                422,
                "idempotency_key_reused",
                "This Idempotency-Key was already used with a different request.",
            ),
            status=status.HTTP_422_UNPROCESSABLE_ENTITY,
        )
    response = Response(record.response_body, status=record.status_code)
    response["Idempotent-Replayed"] = "true"
    return response


class _Refused(Exception):
    """Carries the error response of a write that failed, out of its rolled-back transaction."""

    def __init__(self, response: Response):
        super().__init__(response.status_code)
        self.response = response


def _recordable_failure(status_code: int) -> bool:
    return 400 <= status_code < 500 and status_code not in (401, 403)


def _stored(response: Response):
    return json.loads(json.dumps(response.data, default=str))


def _record_failure(request, key: str, fingerprint: str, response: Response) -> Response:
    """Store a refused write's response (its own transaction: the write's rolled back)."""
    try:
        with transaction.atomic():
            IdempotencyRecord.objects.create(
                user=request.user,
                key=key,
                fingerprint=fingerprint,
                status_code=response.status_code,
                response_body=_stored(response),
            )
    except IntegrityError:  # a concurrent request with this key recorded first: answer as it did
        record = IdempotencyRecord.objects.filter(user=request.user, key=key).first()
        if record is None:
            raise
        return _replay(record, fingerprint)
    return response


def idempotent(handler=None, *, replay=None):
    """Decorate a DRF view method that writes: enforce the Idempotency-Key semantics.

    `replay(view, request, record)` may answer a replay itself (a 202 whose work has moved on
    since); returning None drops the record, so the request runs again (work that died)."""
    if handler is None:
        return lambda h: idempotent(h, replay=replay)

    @wraps(handler)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get(HEADER, "").strip()
        if not key or len(key) > MAX_KEY_LENGTH:
            return Response(
                error_body(
                    400,
                    "idempotency_key_required",
                    f"Send an {HEADER} header (1-{MAX_KEY_LENGTH} characters) with every write.",
                ),
                status=status.HTTP_400_BAD_REQUEST,
            )
        fingerprint = request_fingerprint(request)
        record = IdempotencyRecord.objects.filter(user=request.user, key=key).first()
        if record is not None and replay is not None and record.fingerprint == fingerprint:
            answer = replay(self, request, record)
            if answer is not None:
                answer["Idempotent-Replayed"] = "true"
                return answer
            IdempotencyRecord.objects.filter(pk=record.pk).delete()  # the work died: run again
            record = None
        if record is not None:
            return _replay(record, fingerprint)
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(user=request.user, key=key, fingerprint=fingerprint)
                try:
                    response = handler(self, request, *args, **kwargs)
                except Exception as exc:
                    # the view's own error response (4xx); a server fault re-raises from here
                    raise _Refused(self.handle_exception(exc)) from exc
                record.status_code = response.status_code
                record.response_body = _stored(response)
                record.save(update_fields=["status_code", "response_body"])
        except _Refused as refused:  # the write rolled back
            if _recordable_failure(refused.response.status_code):
                return _record_failure(request, key, fingerprint, refused.response)
            return refused.response
        except IntegrityError:
            record = IdempotencyRecord.objects.filter(user=request.user, key=key).first()
            if record is None:
                raise
            return _replay(record, fingerprint)
        return response

    return wrapper
