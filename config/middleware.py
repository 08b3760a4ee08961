"""Requests refused before any view: a NUL character in the URL or query string (no value of
the app may hold one, and the database could not store it) answers 400."""

from django.http import HttpResponseBadRequest, JsonResponse

from config.api import error_body


class RefuseNulMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "%00" in query.lower() or "\x00" in query:
            message = "The address holds a NUL character (%00); no value may contain one."
            if request.path.startswith("/api/"):
                return JsonResponse(error_body(400, "invalid", message), status=400)
            return HttpResponseBadRequest(message)
        return self.get_response(request)
