import time
from collections.abc import Iterable, Iterator
from fnmatch import fnmatchcase

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpResponseBadRequest

from config.db_router import replica_reads


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


# A response to a write carries this cookie: its value, the time until which that
# client's reads stay on the primary (it reads its own writes, whatever the lag).
WROTE_COOKIE = "tc_wrote"
READ_METHODS = frozenset({"GET", "HEAD"})
wall_clock = time.time


class ReadReplicaMiddleware:
    """Lets the reads of tiles, lists, exports and indicators go to the replica.

    The reads of a GET or HEAD of a view named in READ_REPLICA_VIEWS may; not those
    of a client that wrote less than READ_YOUR_WRITES_SECONDS ago, nor anything else
    (config/db_router.py sends the rest to the primary).
    """

    def __init__(self, get_response):
        if not settings.READ_REPLICA_ENABLED:
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request):
        token = replica_reads.set(False)
        try:
            response = self.get_response(request)
            if response.streaming and replica_reads.get():
                # Streamed exports read while the server sends them, after this call.
                response.streaming_content = _reading_replica(
                    response.streaming_content
                )
        finally:
            replica_reads.reset(token)
        if request.method not in READ_METHODS:
            seconds = settings.READ_YOUR_WRITES_SECONDS
            response.set_cookie(
                WROTE_COOKIE,
                str(int(wall_clock()) + seconds + 1),
                max_age=seconds + 1,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        view_name = request.resolver_match.view_name
        if (
            request.method in READ_METHODS
            and not _wrote_recently(request)
            and any(fnmatchcase(view_name, p) for p in settings.READ_REPLICA_VIEWS)
        ):
            replica_reads.set(True)


def _wrote_recently(request) -> bool:
    try:
        return float(request.COOKIES.get(WROTE_COOKIE, "")) > wall_clock()
    except ValueError:
        return False


def _reading_replica(content: Iterable) -> Iterator:
    # set(), not a token reset: the server may close this generator elsewhere.
    replica_reads.set(True)
    try:
        yield from content
    finally:
        replica_reads.set(False)
