"""GeoJSON pages built by PostGIS: each feature is one `json_build_object` text, the
page is those texts joined. No geometry becomes a Python object on the way, which is
what made DRF-GIS's serializer cost 150-180 µs a feature (see `make bench`).

A `FeatureSpec` says, once per layer, what a feature holds: it must give the same
document as the layer's DRF-GIS serializer (which the schema still describes).
"""

import json
from dataclasses import dataclass
from typing import cast

from django.core.exceptions import EmptyResultSet
from django.core.paginator import InvalidPage, Page, Paginator
from django.db import connections
from django.db.models import Expression, F, QuerySet
from django.http import HttpResponse
from django.utils.functional import cached_property
from rest_framework.exceptions import NotFound

from config.api import _whole_number


@dataclass(frozen=True)
class FeatureSpec:
    geometry: str  # the geometry field or annotation
    # property name -> ORM path (e.g. "parent__code") or expression (e.g. a Cast that
    # writes a decimal as DRF does, a string)
    properties: dict[str, str | Expression]
    precision: int = 6  # decimals of coordinates
    bbox: bool = False  # a feature-level `bbox`, as DRF-GIS's `auto_bbox`
    # Snap to the precision's grid first: drops the points that rounding makes repeat
    # (DRF-GIS's `remove_duplicates`).
    snap: bool = False
    id_field: str | None = "pk"  # None: no `id` (DRF-GIS, when fields leave it out)


def feature_texts(queryset: QuerySet, spec: FeatureSpec) -> list[str]:
    """The queryset's rows (its order, its slice) as GeoJSON Feature texts."""
    aliases = {
        f"tc_p{i}": F(source) if isinstance(source, str) else source
        for i, source in enumerate(spec.properties.values())
    }
    if spec.id_field:
        aliases["tc_id"] = F(spec.id_field)
    rows = queryset.values(tc_geom=F(spec.geometry), **aliases)
    try:
        inner, params = rows.query.sql_with_params()
    except EmptyResultSet:  # a `.none()` queryset: no SQL to run
        return []
    geometry = "q.tc_geom"
    if spec.snap:
        geometry = f"ST_SnapToGrid(q.tc_geom, {10.0**-spec.precision!r})"
    properties = ", ".join(
        f"'{name}', q.tc_p{i}" for i, name in enumerate(spec.properties)
    )
    # No outline (France), no box: null as DRF-GIS writes it, not four nulls.
    bbox = (
        f"'bbox', CASE WHEN ST_IsEmpty({geometry}) IS NOT FALSE THEN NULL ELSE "
        f"json_build_array(ST_XMin({geometry}), ST_YMin({geometry}), "
        f"ST_XMax({geometry}), ST_YMax({geometry})) END, "
        if spec.bbox
        else ""
    )
    identity = "'id', q.tc_id, " if spec.id_field else ""
    sql = (
        f"SELECT json_build_object({identity}'type', 'Feature', "  # noqa: S608
        f"'geometry', ST_AsGeoJSON({geometry}, {int(spec.precision)})::json, {bbox}"
        f"'properties', json_build_object({properties}))::text FROM ({inner}) q"
    )
    with connections[rows.db].cursor() as cursor:  # the router's pick (a replica)
        cursor.execute(sql, params)
        return [text for (text,) in cursor.fetchall()]


class CappedCountPaginator(Paginator):
    """Counts exactly up to COUNT_CAP rows, then gives the planner's estimate: an exact
    count of a national table on every page costs more than the page itself. The
    page says which (`count_exact`), so a capped count is never silent.

    The estimate is never believed first: statistics can be far off (a table just
    emptied, or filled in a rolled-back transaction, still "holds" 200,000 rows)."""

    COUNT_CAP = 10_000

    @cached_property
    def count(self) -> int:
        rows = cast(QuerySet, self.object_list)  # always a queryset here
        counted = rows.order_by()[: self.COUNT_CAP + 1].count()
        self.count_exact = counted <= self.COUNT_CAP
        if self.count_exact:
            return counted
        return max(counted, _planner_rows(rows))


def _planner_rows(queryset: QuerySet) -> int:
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        (plan,) = cursor.fetchone()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return int(plan[0]["Plan"]["Plan Rows"])


def page_of(paginator, queryset: QuerySet, request) -> QuerySet:
    """DRF's page-number paging, but the page stays a (sliced) queryset: the caller
    turns it into features in SQL. Sets `paginator.page` for the links."""
    _whole_number(request, paginator.page_query_param, 1, None)
    pages = paginator.django_paginator_class(queryset, paginator.get_page_size(request))
    number = paginator.get_page_number(request, pages)
    try:
        paginator.page = (
            _first_page(pages) if str(number) == "1" else pages.page(number)
        )
    except InvalidPage as exc:
        raise NotFound(
            paginator.invalid_page_message.format(page_number=number, message=str(exc))
        ) from None
    paginator.request = request
    return paginator.page.object_list


def _first_page(pages: Paginator) -> Page:
    """Page 1 without counting first (`Paginator.page` counts to check the number):
    a first page shorter than asked holds every row, its length is the count."""
    return Page(pages.object_list[: pages.per_page], 1, pages)


def _count_from_short_first_page(page: Page, rows: int) -> None:
    pages = page.paginator
    if page.number == 1 and rows < pages.per_page and "count" not in vars(pages):
        vars(pages)["count"] = rows  # `count` is a cached_property: set, not counted
        if isinstance(pages, CappedCountPaginator):
            pages.count_exact = True


def feature_page_response(paginator, features: list[str]) -> HttpResponse:
    """The page as DRF-GIS's GeoJsonPagination lays it out, features spliced in."""
    _count_from_short_first_page(paginator.page, len(features))
    pages = paginator.page.paginator
    head = {
        "type": "FeatureCollection",
        "count": pages.count,
        "next": paginator.get_next_link(),
        "previous": paginator.get_previous_link(),
    }
    if hasattr(pages, "count_exact"):
        head["count_exact"] = pages.count_exact
    text = json.dumps(head)
    body = f'{text[:-1]}, "features": [{",".join(features)}]}}'
    return HttpResponse(body, content_type="application/json")
