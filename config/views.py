"""Project-wide views: health, error pages (JSON under /api/), language switch lives in Django."""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.api import error_body


def _broker_ok() -> tuple[bool, str]:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return True, "in-process (no broker configured)"
    from config.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True, "reachable"
    except Exception as exc:  # any transport error means "unreachable"; report it, don't raise
        return False, f"unreachable: {exc.__class__.__name__}"


@never_cache
@require_GET
def healthz(request):
    """Report database and broker reachability: 200 when both answer, 503 otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        db_ok, db_note = True, connection.vendor
    except Exception as exc:  # same: report, never a stack trace
        db_ok, db_note = False, f"unreachable: {exc.__class__.__name__}"
    broker_ok, broker_note = _broker_ok()
    ok = db_ok and broker_ok
    body = {
        "status": "ok" if ok else "unavailable",
        "database": {"ok": db_ok, "detail": db_note},
        "broker": {"ok": broker_ok, "detail": broker_note},
    }
    return JsonResponse(body, status=200 if ok else 503)


def login_locked_out(request, original_response=None, credentials=None):
    """What a locked-out login sees (django-axes calls this): 429, when to retry, who can unlock."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    if _wants_json(request):
        body = error_body(429, "locked_out", "Too many failed logins; try again later.")
        return JsonResponse({**body, "retry_after_minutes": minutes}, status=429)
    response = render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response


def _wants_json(request) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


def not_found(request, exception=None):
    if _wants_json(request):
        return JsonResponse(error_body(404, "not_found", "Not found."), status=404)
    return render(request, "errors/404.html", status=404)


def permission_denied(request, exception=None):
    if _wants_json(request):
        return JsonResponse(error_body(403, "permission_denied", "You may not do this."), status=403)
    return render(request, "errors/403.html", status=403)


def bad_request(request, exception=None):
    if _wants_json(request):
        return JsonResponse(error_body(400, "bad_request", "Bad request."), status=400)
    return render(request, "errors/400.html", status=400)


def server_error(request):
    if _wants_json(request):
        return JsonResponse(error_body(500, "server_error", "Something went wrong on our side."), status=500)
    return render(request, "errors/500.html", status=500)
