"""What every list page shares: sorting by a whitelisted key, paging, and links that
keep the list's other parameters (filters stay in the URL)."""

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, QueryDict

PAGE_SIZE = 50


def query_without(params: QueryDict, *names: str) -> str:
    """The query string without these parameters, ready to take `&name=value`."""
    kept = params.copy()
    for name in names:
        kept.pop(name, None)
    return kept.urlencode()


@dataclass(frozen=True)
class SortLink:
    key: str
    url: str
    direction: str  # "ascending", "descending" or "" (aria-sort values)


def sort(
    request: HttpRequest,
    queryset: QuerySet,
    keys: dict[str, tuple[str, ...]],
    default: str,
) -> tuple[QuerySet, dict[str, SortLink]]:
    """Order by `?sort=key` or `?sort=-key` (keys: name -> order_by fields), with
    the link of each column header: the other direction when it is the current one."""
    asked = request.GET.get("sort", default)
    key = asked.removeprefix("-")
    if key not in keys:
        asked, key = default, default.removeprefix("-")
    descending = asked.startswith("-")
    fields = [f"-{f}" if descending else f for f in keys[key]]
    base = query_without(request.GET, "sort", "page")
    links = {}
    for name in keys:
        current = name == key
        target = f"-{name}" if current and not descending else name
        direction = ("descending" if descending else "ascending") if current else ""
        url = f"?{base}&sort={target}" if base else f"?sort={target}"
        links[name] = SortLink(name, url, direction)
    return queryset.order_by(*fields, "pk"), links


def paginate(request: HttpRequest, rows, per_page: int = PAGE_SIZE) -> Page:
    return Paginator(rows, per_page).get_page(request.GET.get("page"))


def list_context(request: HttpRequest, page: Page, sort_links=None) -> dict:
    """The template's `page`, `sort_links` and the query string paging links keep."""
    return {
        "page": page,
        "sort_links": sort_links or {},
        "page_query": query_without(request.GET, "page"),
        "list_query": query_without(request.GET, "page", "sort"),
    }


def search(
    request: HttpRequest, queryset: QuerySet, fields: tuple[str, ...]
) -> QuerySet:
    """Rows where any of these fields contains each word of `?q=`."""
    return search_params(request.GET, queryset, fields)


def search_params(params, queryset: QuerySet, fields: tuple[str, ...]) -> QuerySet:
    """`search` on saved query parameters (a background export's, say)."""
    for word in params.get("q", "").split()[:8]:
        condition = Q()
        for field in fields:
            condition |= Q(**{f"{field}__icontains": word})
        queryset = queryset.filter(condition)
    return queryset
