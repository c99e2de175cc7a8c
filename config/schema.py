"""The OpenAPI schema says what the API answers (drf-spectacular postprocessing hook).

drf-spectacular documents the success of each operation; this hook adds what every
operation can also answer and what the views check by hand:

- the errors (400, 401, 403, 404, and 409 where an edit can be stale or a site is
  near another), with one `Error` schema (`{"detail": ...}` or `{"<field>": ...}`,
  the shape config/api.py gives every error); a 400 may also be the plain-text
  refusal of NUL bytes in the URL (config/middleware.py);
- the true schema of the query parameters the views read themselves (`in_bbox`,
  `as_of`, `zoom`, `lon`/`lat`) and of the filters (whole numbers in range, no empty
  values: the API answers 400 for `status=`);
- FeatureCollections that always hold `type` and `features`;
- the OGC API pages in JSON, GeoJSON or HTML (`f=html`), their collection ids;
- what the API refuses although a generated schema allows it: a decimal with no
  digit (`""`), a NUL character in a string (PostgreSQL cannot store it);
- geometry examples in France (Boulogne-Billancourt), not DRF-GIS's Bangalore,
  so that the documented example is one the API accepts.

tests/test_api_schema.py checks these properties on the generated schema, and
`make api-fuzz` runs schemathesis against it.
"""

import re

from config.api import BBOX_HELP, BBOX_PATTERN, OGC_BBOX

ERROR = {"$ref": "#/components/schemas/Error"}
ERROR_SCHEMA = {
    "type": "object",
    "description": "`detail` says what went wrong; a refused field is named with "
    "its messages (a list, or a string for a query parameter).",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": {},
}
ERROR_DESCRIPTIONS = {
    "400": "Invalid parameter or body: each refused one is named",
    "401": "Sign-in needed, or a token that is not valid",
    "403": "Not allowed for your role or territory (or the usage charter is not accepted)",
    "404": "Not found, or not visible to you; also a page past the last one",
    "409": "Conflict: edited since your version (what changed is listed), or a site "
    "already declared nearby (resend with confirm_nearby=true)",
}
# Only the token endpoint reads forms (curl -d, HTML forms); the rest reads JSON.
STALE_OR_NEARBY = {
    ("/api/v1/sites/", "post"),
    ("/api/v1/sites/{id}/", "patch"),
    ("/api/v1/interventions/{id}/", "patch"),
}
INTEGER_ID: dict = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
QUERY_SCHEMAS: dict[str, dict] = {
    "in_bbox": {"type": "string", "pattern": BBOX_PATTERN, "description": BBOX_HELP},
    "as_of": {"type": "string", "format": "date"},
    # PostgreSQL holds UTC offsets below 16 h (config.api refuses the others).
    "updated_since": {
        "type": "string",
        "format": "date-time",
        "pattern": r"([Zz]|[+-](0\d|1[0-5]):[0-5]\d)$",
        "description": "RFC 3339; the UTC offset, if any, between -15:59 and +15:59",
    },
    "zoom": {"type": "integer", "minimum": 0, "maximum": 22},
    "lon": {"type": "number", "minimum": -180, "maximum": 180},
    "lat": {"type": "number", "minimum": -90, "maximum": 90},
    "year": {"type": "integer", "minimum": 1900, "maximum": 2100},
    "operator": INTEGER_ID,
    "site": INTEGER_ID,
}
OGC_QUERY_SCHEMAS: dict[str, dict] = {
    "limit": {"type": "integer", "minimum": 1},
    "offset": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1},
    "datetime": {"type": "string", "format": "date"},
    "bbox": {"type": "string", "pattern": OGC_BBOX.pattern},
}
# A free-text string: any character but NUL (DRF and the middleware refuse it).
NO_NUL = "^[^\\u0000]*$"
# A point in Boulogne-Billancourt (92012), inside every demo writer's territory.
EXAMPLE_POINT = [2.2399, 48.8352]
EXAMPLE_RING = [[2.2395, 48.835], [2.2405, 48.835], [2.24, 48.8356], [2.2395, 48.835]]
HTML = {"schema": {"type": "string"}}
PLAIN = {"schema": {"type": "string"}}


def postprocess(result, generator, request, public):
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    for schema in schemas.values():
        _require_features(schema)
    _bodies(schemas)
    _outlines(schemas)
    for name, schema in schemas.items():
        _strict_strings(schema, request=name.endswith("Request"))
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if path.startswith("/ogc/"):
                _ogc(operation)
            else:
                _api(path, method, operation)
    return result


def _require_features(schema: dict) -> None:
    """A FeatureCollection component always holds `type` and `features`."""
    properties = schema.get("properties", {})
    if "features" in properties and "type" in properties:
        schema["required"] = sorted({*schema.get("required", []), "type", "features"})


def _bodies(schemas: dict) -> None:
    """What the serializers check beyond their fields' types: a PATCH names the
    version it edited (else 400), an intervention has at least one theme."""
    for name in ("InterventionRequest", "PatchedInterventionRequest"):
        if name in schemas:
            schemas[name]["properties"]["themes"]["minItems"] = 1
    if "Intervention" in schemas:  # `funding` only for those who may see it
        required = schemas["Intervention"].get("required", [])
        schemas["Intervention"]["required"] = [f for f in required if f != "funding"]
    if "PatchedInterventionRequest" in schemas:
        schemas["PatchedInterventionRequest"]["required"] = ["version"]
    if "PatchedSiteRequest" in schemas:
        schemas["PatchedSiteRequest"]["required"] = ["properties"]
        schemas["PatchedSiteRequest"]["properties"]["properties"]["required"] = [
            "version"
        ]


def _strict_strings(node, *, request: bool) -> None:
    """Decimals have a digit (drf-spectacular's pattern allowed "" and "-"), request
    strings have no NUL, geometries have a type and coordinates, geometry examples
    lie in France."""
    if isinstance(node, list):
        for item in node:
            _strict_strings(item, request=request)
        return
    if not isinstance(node, dict):
        return
    if node.get("format") == "decimal" and "pattern" in node:
        node["pattern"] = _decimal_pattern(node["pattern"])
    elif (
        request
        and node.get("type") == "string"
        and not {"enum", "pattern", "format"} & {*node}
    ):
        node["pattern"] = NO_NUL
    if {*node.get("properties", {})} == {"type", "coordinates"}:
        node["required"] = ["type", "coordinates"]  # a GeoJSON geometry: `{}` is not
    example = node.get("example")
    if isinstance(example, list) and example and node.get("type") == "array":
        node["example"] = _french_example(example)
    for value in node.values():
        _strict_strings(value, request=request)


def _decimal_pattern(pattern: str) -> str:
    """drf-spectacular's decimal pattern, with at least one digit as DRF requires."""
    match = re.fullmatch(r"\^-\?\\d\{0,(\d+)\}\(\?:\\\.\\d\{0,(\d+)\}\)\?\$", pattern)
    if match is None:
        return pattern
    whole, decimals = match.groups()
    if whole == "0":
        return rf"^-?0?\.\d{{1,{decimals}}}$"
    return rf"^-?(\d{{1,{whole}}}(\.\d{{0,{decimals}}})?|\.\d{{1,{decimals}}})$"


def _french_example(example: list) -> list:
    """DRF-GIS's example coordinates (Bangalore), as deep as they were, in
    Boulogne-Billancourt: a point (or a bbox) moved, a line or ring a real triangle."""
    if example and isinstance(example[0], list):
        nested: list = EXAMPLE_RING
        inner = example[0]
        while inner and isinstance(inner[0], list):
            nested, inner = [nested], inner[0]
        return nested
    moved = {12.9721: EXAMPLE_POINT[0], 77.5933: EXAMPLE_POINT[1]}
    return [moved.get(value, value) for value in example]


def _outlines(schemas: dict) -> None:
    """Territory outlines are simplified for the zoom (a MultiPolygon may become a
    Polygon, a ring fewer points) and France has none; the root has no parent."""
    territory = schemas.get("Territory")
    if territory is None:
        return
    territory["properties"]["geometry"] = {
        "type": "object",
        "nullable": True,
        "description": "GeoJSON Polygon or MultiPolygon, simplified for `zoom`",
    }
    if "bbox" in territory["properties"]:
        territory["properties"]["bbox"]["nullable"] = True
    fields = territory["properties"]["properties"]["properties"]
    fields["parent_code"]["nullable"] = True


def _api(path: str, method: str, operation: dict) -> None:
    responses = operation["responses"]
    codes = ["400", "401", "403", "404"]
    if (path, method) in STALE_OR_NEARBY:
        codes.append("409")
    if path == "/api/v1/auth/token":
        # django-axes' lockout, the same page as the login form's.
        responses["429"] = {
            "description": "Account locked: too many failed sign-ins; retry later",
            "content": {"text/html": HTML, "text/plain": PLAIN, "application/json": {}},
        }
    for code in codes:
        # A path matching no route (`/sites/0.5/`) is Django's own HTML 404 page.
        responses[code] = _error(code, *(["text/html"] if code == "404" else []))
    for parameter in operation.get("parameters", []):
        if parameter["in"] != "query":
            continue
        schema = QUERY_SCHEMAS.get(parameter["name"])
        if schema is not None:
            parameter["schema"] = dict(schema)
        _no_empty(parameter)


def _no_empty(parameter: dict) -> None:
    """The API refuses an empty value (400): a free-text parameter has one character,
    none of them NUL (config/middleware.py refuses it in a URL)."""
    schema = parameter["schema"]
    if schema.get("type") == "string" and not {"enum", "pattern", "format"} & {*schema}:
        schema["minLength"] = 1
        schema["pattern"] = NO_NUL
    items = schema.get("items", {})
    if items.get("type") == "string" and not {"enum", "pattern"} & {*items}:
        items["minLength"] = 1
        items["pattern"] = NO_NUL


def _error(code: str, *extra: str) -> dict:
    content = {"application/json": {"schema": ERROR}}
    if code == "400":
        content["text/plain"] = PLAIN  # NUL bytes in the URL
    for media_type in extra:
        content[media_type] = HTML
    return {"description": ERROR_DESCRIPTIONS[code], "content": content}


def _ogc(operation: dict) -> None:
    """OGC pages answer JSON (GeoJSON for features) or, with f=html, HTML; errors
    are JSON, or Django's HTML page for a path that matches no route."""
    from maps.ogc.collections import COLLECTIONS

    ok = operation["responses"]["200"]
    json_schema = ok.get("content", {}).get("application/json", {"schema": {}})
    ok["content"] = {
        "application/json": json_schema,
        "application/geo+json": json_schema,
        "text/html": HTML,
    }
    for code in ("400", "401", "404"):
        operation["responses"][code] = _error(code, "text/html")
    for parameter in operation.get("parameters", []):
        name = parameter["name"]
        if parameter["in"] == "path" and name == "collection_id":
            parameter["schema"] = {
                "type": "string",
                "enum": [c.id for c in COLLECTIONS],
            }
        elif parameter["in"] == "path" and name == "fid":
            parameter["schema"] = {"type": "string", "pattern": "^[0-9]{1,10}$"}
        elif name in OGC_QUERY_SCHEMAS:
            parameter["schema"] = dict(OGC_QUERY_SCHEMAS[name])
