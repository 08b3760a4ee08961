"""Idempotency-Key for every API write.

- no header: 400 with a clear message;
- a key seen before with the same request fingerprint (method + path + canonical body):
  the first response is replayed (header `Idempotent-Replayed: true`) and nothing is written;
- the same key with a different request: 422.

The record is inserted FIRST, inside the same DB transaction as the write: two concurrent
requests with one key serialize on the unique (user, key) index; the loser waits, gets an
IntegrityError when the winner commits, and replays the winner's response. A request that
fails with an exception leaves no record (the transaction rolls back), so it can be retried.
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


def idempotent(handler):
    """Decorate a DRF view method that writes: enforce the Idempotency-Key semantics."""

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
        if record is not None:
            return _replay(record, fingerprint)
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(user=request.user, key=key, fingerprint=fingerprint)
                response = handler(self, request, *args, **kwargs)
                record.status_code = response.status_code
                record.response_body = json.loads(json.dumps(response.data, default=str))
                record.save(update_fields=["status_code", "response_body"])
        except IntegrityError:
            record = IdempotencyRecord.objects.filter(user=request.user, key=key).first()
            if record is None:
                raise
            return _replay(record, fingerprint)
        return response

    return wrapper
