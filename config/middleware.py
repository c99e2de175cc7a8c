from django.http import HttpResponseBadRequest


class RejectNulBytesMiddleware:
    """PostgreSQL text cannot hold NUL: refuse such URLs plainly instead of a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            "\x00" in request.path
            or "\x00" in request.META.get("QUERY_STRING", "")
            or "%00" in request.META.get("QUERY_STRING", "")
        ):
            return HttpResponseBadRequest(
                "NUL characters are not allowed in URLs.", content_type="text/plain"
            )
        return self.get_response(request)
