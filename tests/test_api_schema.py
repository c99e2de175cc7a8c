"""Bad parameters and bodies get a 400 naming them, never a 500; the OpenAPI schema
declares what the API really answers (`make api-fuzz` runs schemathesis on it)."""

import copy

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from rest_framework.test import APIClient

from actors.roles import Role
from sites.models import Site
from sites.services import site as services
from tests.factories import point_in, user_with

pytestmark = pytest.mark.django_db
POINT = {"type": "Point", "coordinates": [2.24, 48.83]}


@pytest.fixture
def national():
    return user_with(Role.NATIONAL, "FR")


@pytest.fixture
def api(national):
    client = APIClient()
    client.force_authenticate(national)
    return client


@pytest.fixture
def site():
    admin = user_with(Role.LOCAL_ADMIN, "92")
    return services.declare_site(
        {"point": point_in("92012"), "name": "Friche"},
        acting_user=admin,
        confirm_nearby=True,
    )


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        return APIClient().get("/api/schema/?format=json").json()


# Each of these was a 500 (OverflowError, ValueError) or a silent default.
@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/api/v1/interventions/?year=-292845984134197.0", "year"),
        ("/api/v1/interventions/?year=-4.50939813759651e-275", "year"),
        ("/api/v1/interventions/?year=0", "year"),
        ("/api/v1/interventions/?operator=1.175494351e-38", "operator"),
        ("/api/v1/interventions/?site=99999999999999999999", "site"),
        ("/api/v1/interventions/?page_size=1460300673", "page_size"),
        ("/api/v1/interventions/?page=0", "page"),
        ("/api/v1/interventions/?status=", "status"),
        ("/api/v1/sites/?page_size=1460300673", "page_size"),
        ("/api/v1/sites/?in_bbox=1e400,0,1,1", "in_bbox"),
        ("/api/v1/sites/?in_bbox=0", "in_bbox"),
        ("/api/v1/sites/?territory=", "territory"),
        ("/api/v1/sites/export/?updated_since=", "updated_since"),
        ("/api/v1/sites/?updated_since=0865-06-23T17:10:45%2B17:18", "updated_since"),
        ("/api/v1/sites/export/?as_of=", "as_of"),
        # With as_of the filters apply to past versions: each is still checked
        # (schemathesis: a 200 for these, as prefecture92).
        ("/api/v1/sites/export/?as_of=2020-05-20&waste_status=v~n", "waste_status"),
        ("/api/v1/sites/export/?as_of=2020-05-20&updated_since=%0B", "updated_since"),
        ("/api/v1/sites/?as_of=2020-05-20&status=gone", "status"),
        ("/api/v1/sites/?as_of=2020-05-20&waste_status=v~n", "waste_status"),
        ("/api/v1/sites/?as_of=2020-05-20&updated_since=%0B", "updated_since"),
        ("/api/v1/sites/?as_of=2020-05-20&in_bbox=1e400,0,1,1", "in_bbox"),
        ("/api/v1/sites/export/?format_type=", "format_type"),
        ("/api/v1/accessibility-points/?in_bbox=inf,0,1,1", "in_bbox"),
        ("/api/v1/accessibility-points/?page_size=0", "page_size"),
        ("/api/v1/restricted-zones/?in_bbox=1e5,0,1,1", "in_bbox"),
        ("/api/v1/territories/?page_size=501", "page_size"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(api, url, parameter):
    response = api.get(url)
    assert response.status_code == 400, response.content
    assert parameter in response.json()


def test_bad_bodies_are_4xx_never_500(api, site):
    multipart = api.post("/api/v1/sites/", {"type": "Feature", "properties": "x"})
    # Not read (JSON only, as documented): 415, or 400 once a middleware read the form.
    assert multipart.status_code in (400, 415), multipart.content
    assert not Site.objects.exclude(pk=site.pk).exists()
    # No boundary: Django's own 400 page (HTML) when a middleware read the form.
    broken = api.generic("POST", "/api/v1/sites/", b"x", "multipart/form-data")
    assert broken.status_code == 415 and broken["Content-Type"] == "application/json"
    shapes = [
        {"type": "Feature", "properties": "x"},
        {"type": "Feature", "geometry": 3},
        # a type other than Feature was accepted (schemathesis, as asso92)
        {"type": "AAA", "geometry": POINT, "properties": {"kind": "disabled_parking"}},
        # {}: GDAL's "Invalid geometry pointer" on `point` (schemathesis, PATCH)
        {"type": "Feature", "geometry": {}, "properties": {"version": 1}},
        # properties null: a TypeError in rest_framework_gis, found by schemathesis
        {"type": "Feature", "geometry": POINT, "properties": None},
        [],
    ]
    for url in ("/api/v1/sites/", "/api/v1/accessibility-points/"):
        for body in shapes:
            response = api.post(url, body, format="json")
            assert response.status_code == 400, (url, body, response.content)
            named = {"properties", "geometry", "non_field_errors", "type"}
            assert named & {*response.json()}, response.content
    empty = api.patch(f"/api/v1/sites/{site.pk}/", {"type": "Feature", "geometry": {},
                      "properties": {"version": site.version}}, format="json")  # fmt: skip
    assert empty.status_code == 400 and "geometry" in empty.json()
    stale = api.patch(f"/api/v1/sites/{site.pk}/", {"type": "Feature", "properties": {}},
                      format="json")  # fmt: skip
    assert stale.status_code == 400 and "version" in stale.json()


def test_every_api_operation_declares_its_errors_with_one_error_schema(schema):
    error = {"$ref": "#/components/schemas/Error"}
    for path, method, operation in _operations(schema, "/api/v1/"):
        for code in ("400", "401", "403", "404"):
            content = operation["responses"][code]["content"]
            assert content["application/json"]["schema"] == error, (path, method, code)
    patch = schema["paths"]["/api/v1/sites/{id}/"]["patch"]
    assert "409" in patch["responses"]


def test_request_bodies_are_json_except_the_token_form(schema):
    for path, method, operation in _operations(schema, "/"):
        media = set(operation.get("requestBody", {}).get("content", {}))
        if path == "/api/v1/auth/token":
            assert "application/json" in media
        else:
            assert media <= {"application/json"}, (path, method, media)


def test_no_request_body_where_none_is_read(schema):
    for action in ("verify", "remove"):
        post = schema["paths"][f"/api/v1/accessibility-points/{{id}}/{action}/"]["post"]
        assert "requestBody" not in post


def test_lists_declare_their_real_shape(schema):
    paths = schema["paths"]
    for path in ("/api/v1/sites/", "/api/v1/accessibility-points/",
                 "/api/v1/restricted-zones/", "/api/v1/territories/"):  # fmt: skip
        body = _resolve(schema, _ok(paths[path]["get"]))
        assert {"type", "features", "count"} <= set(body["required"]), path
        assert "results" not in body["properties"], path
        assert body["properties"]["features"]["type"] == "array", path
    for path in ("/api/v1/territories/at/", "/api/v1/interventions/{id}/reports/",
                 "/api/v1/interventions/{id}/funding/"):  # fmt: skip
        get = paths[path]["get"]
        assert _ok(get)["type"] == "array", path
        assert not {"page", "page_size", "status"} & {
            p["name"] for p in get["parameters"]
        }
    bbox = next(
        p
        for p in paths["/api/v1/sites/"]["get"]["parameters"]
        if p["name"] == "in_bbox"
    )
    assert bbox["schema"]["pattern"].startswith("^")


def test_real_answers_match_the_schema(schema, api, site):
    """A few operations, read through the test client, validated against the schema."""
    validate = _validator(schema)
    cases = [
        ("/api/v1/sites/", "/api/v1/sites/", 200),
        ("/api/v1/sites/{id}/", f"/api/v1/sites/{site.pk}/", 200),
        ("/api/v1/sites/", "/api/v1/sites/?as_of=2020-01-01", 200),
        ("/api/v1/territories/", "/api/v1/territories/?level=departement&q=92", 200),
        ("/api/v1/territories/at/", "/api/v1/territories/at/?lon=2.24&lat=48.83", 200),
        ("/api/v1/accessibility-points/", "/api/v1/accessibility-points/", 200),
        ("/api/v1/interventions/", "/api/v1/interventions/?year=2025", 200),
        ("/api/v1/sites/", "/api/v1/sites/?page=99", 404),
        ("/api/v1/interventions/", "/api/v1/interventions/?year=1", 400),
        ("/api/v1/sites/{id}/", "/api/v1/sites/999999/", 404),
    ]
    for template, url, status in cases:
        response = api.get(url)
        assert response.status_code == status, (url, response.content)
        operation = schema["paths"][template]["get"]
        content = operation["responses"][str(status)]["content"]
        body_schema = next(iter(content.values()))["schema"]
        validate(body_schema, response.json(), url)
    anonymous = APIClient().get("/api/v1/sites/")
    assert anonymous.status_code == 401
    validate({"$ref": "#/components/schemas/Error"}, anonymous.json(), "anonymous")


def _operations(schema, prefix):
    for path, operations in schema["paths"].items():
        if path.startswith(prefix):
            for method, operation in operations.items():
                yield path, method, operation


def _ok(operation):
    return operation["responses"]["200"]["content"]["application/json"]["schema"]


def _resolve(schema, node):
    """A component, its allOf parts merged (properties and required)."""
    if "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    merged = {"properties": dict(node.get("properties", {})),
              "required": list(node.get("required", []))}  # fmt: skip
    for part in node.get("allOf", []):
        inner = _resolve(schema, part)
        merged["properties"].update(inner["properties"])
        merged["required"] += inner["required"]
    return merged


def _validator(schema):
    """JSON Schema validation of OpenAPI 3.0 (`nullable` becomes a null type)."""
    components = _nullable(copy.deepcopy(schema["components"]))
    resource = Resource.from_contents(
        {
            "components": components,
            "$schema": "https://json-schema.org/draft/2020-12/schema",
        }
    )
    registry = Registry().with_resource("urn:api", resource)

    def validate(body_schema, body, where):
        wrapped = _nullable(copy.deepcopy(body_schema))
        wrapped = _rebase(wrapped)
        validator = Draft202012Validator(wrapped, registry=registry)
        errors = [e.message for e in validator.iter_errors(body)]
        assert not errors, (where, errors[:3])

    return validate


def _rebase(node):
    if isinstance(node, dict):
        return {
            k: ("urn:api" + v if k == "$ref" and v.startswith("#") else _rebase(v))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_rebase(v) for v in node]
    return node


def _nullable(node):
    if isinstance(node, dict):
        node = {k: _nullable(v) for k, v in node.items()}
        if node.pop("nullable", False):
            node = {"anyOf": [node, {"type": "null"}]}
        return _rebase(node)
    if isinstance(node, list):
        return [_nullable(v) for v in node]
    return node


def test_ogc_offset_beyond_bigint_is_a_400_naming_it(api):
    url = "/ogc/collections/accessibility-points/items?offset=752803875508351602668345139134464"
    response = api.get(url)
    assert response.status_code == 400 and "limit" in response.json()


def test_a_stale_edit_names_reverse_relations_without_a_500():
    from interventions.services import StaleEdit

    stale = StaleEdit(5, ["reports", "title"])  # schemathesis: PATCH {"version": 1}
    assert "reports" in str(stale)


def test_a_territory_without_outline_has_no_bbox_rather_than_four_nulls(schema):
    # schemathesis (anonymous): France's feature had "bbox": [null, null, null, null]
    body = APIClient().get("/api/v1/territories/?level=nation").json()
    france = next(f for f in body["features"] if f["properties"]["code"] == "FR")
    assert france["geometry"] is None and france["bbox"] is None
    _validator(schema)(
        _ok(schema["paths"]["/api/v1/territories/"]["get"]), body, "nation"
    )


def test_a_wrong_password_is_a_401_with_a_detail_as_the_schema_says(schema):
    # schemathesis: a schema-valid request answered 400, which the schema reserves
    # for a malformed one.
    user = user_with(Role.CONTRIBUTOR, "92012")
    for form in ("json", "multipart"):
        response = APIClient().post(
            "/api/v1/auth/token",
            {"email": user.email, "password": "not-this-one"},
            format=form,
        )
        assert response.status_code == 401 and "detail" in response.json()
    malformed = APIClient().post("/api/v1/auth/token", {"email": "x"}, format="json")
    assert malformed.status_code == 400 and "password" in malformed.json()
    assert "401" in schema["paths"]["/api/v1/auth/token"]["post"]["responses"]


def test_the_schema_refuses_what_the_api_refuses_in_strings_and_decimals(schema):
    import re

    components = schema["components"]["schemas"]
    amount = components["FundingRequest"]["properties"]["amount_planned"]["pattern"]
    length = components["AccessibilityPointRequest"]["properties"]["properties"][
        "properties"
    ]["length_m"]["pattern"]
    for pattern in (amount, length):
        for text in ("", "-", ".", "-."):
            assert not re.search(pattern, text), (pattern, text)
        for text in ("12", "-1.5", ".25", "3."):
            assert re.search(pattern, text), (pattern, text)
    geometry = components["SiteRequest"]["properties"]["geometry"]
    assert geometry["required"] == ["type", "coordinates"]
    title = components["InterventionRequest"]["properties"]["title"]["pattern"]
    assert re.search(title, "Maraude") and not re.search(title, "a\x00b")
    territory = next(
        p
        for p in schema["paths"]["/api/v1/sites/"]["get"]["parameters"]
        if p["name"] == "territory"
    )
    assert not re.search(territory["schema"]["pattern"], "9\x002")


def test_the_schema_keeps_updated_since_within_the_offsets_postgresql_holds(
    schema, api
):
    import re

    (parameter,) = (
        p
        for p in schema["paths"]["/api/v1/sites/"]["get"]["parameters"]
        if p["name"] == "updated_since"
    )
    pattern = parameter["schema"]["pattern"]
    # schemathesis sent +16:36 as schema-valid; the API refuses it (a 400 naming it).
    for offset, accepted in (("+16:36", False), ("+15:59", True), ("Z", True), ("-05:00", True)):  # fmt: skip
        value = f"2020-01-31T02:25:46{offset}"
        assert bool(re.search(pattern, value)) is accepted, value
        answer = api.get("/api/v1/sites/", {"updated_since": value})
        assert answer.status_code == (200 if accepted else 400), value
        if not accepted:
            assert "updated_since" in answer.json()


def test_geometry_examples_are_points_the_api_accepts(schema, api):
    """DRF-GIS's example (Bangalore) was refused: no French commune there."""
    request = schema["components"]["schemas"]["AccessibilityPointRequest"]
    example = request["properties"]["geometry"]["properties"]["coordinates"]["example"]
    body = {"type": "Feature", "geometry": {"type": "Point", "coordinates": example},
            "properties": {"kind": "disabled_parking"}}  # fmt: skip
    writer = APIClient()
    writer.force_authenticate(user_with(Role.CONTRIBUTOR, "92012"))
    response = writer.post("/api/v1/accessibility-points/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["properties"]["commune_code"] == "92012"


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        (
            "/api/v1/sites/",
            {"type": "Feature", "geometry": POINT, "properties": {"name": "a\x00b"}},
            "name",
        ),  # fmt: skip
        ("/api/v1/interventions/", {"title": "a\x00b"}, "title"),
        (
            "/api/v1/accessibility-points/",
            {"type": "Feature", "geometry": POINT, "properties": {"address": "\x00"}},
            "address",
        ),  # fmt: skip
    ],
)
def test_a_nul_character_in_a_body_is_a_400_naming_the_field(api, url, body, field):
    response = api.post(url, body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.content.decode()


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        # A string where the schema says integer: DRF turned "12" into 12.
        (
            "/api/v1/sites/",
            {"type": "Feature", "geometry": POINT, "properties": {"people": "12"}},
            "people",
        ),  # fmt: skip
        (
            "/api/v1/sites/",
            {"type": "Feature", "geometry": POINT, "properties": {"name": 12}},
            "name",
        ),  # fmt: skip
        (
            "/api/v1/sites/",
            {"type": "Feature", "geometry": POINT, "properties": {"people": True}},
            "people",
        ),  # fmt: skip
        (
            "/api/v1/accessibility-points/",
            {
                "type": "Feature",
                "geometry": POINT,
                "properties": {"kind": "disabled_parking", "open_air": "true"},
            },
            "open_air",
        ),  # fmt: skip
        (
            "/api/v1/accessibility-points/",
            {
                "type": "Feature",
                "geometry": POINT,
                "properties": {"kind": "disabled_parking", "length_m": 5},
            },
            "length_m",
        ),  # fmt: skip
        # "" for a nullable decimal was saved as null (schemathesis, as asso92)
        (
            "/api/v1/accessibility-points/",
            {
                "type": "Feature",
                "geometry": POINT,
                "properties": {"kind": "disabled_parking", "width_m": ""},
            },
            "width_m",
        ),  # fmt: skip
        ("/api/v1/interventions/", {"title": "Maraude", "themes": "health"}, "themes"),
        (
            "/api/v1/interventions/",
            {"title": "Maraude", "territory": "92"},
            "territory",
        ),
        (
            "/api/v1/interventions/",
            {"title": "Maraude", "partners": [1], "sites": 3},
            "sites",
        ),  # fmt: skip
        ("/api/v1/auth/token", {"email": "a@b.fr", "password": 1234}, "password"),
    ],
)
def test_a_value_of_another_json_type_is_a_400_naming_the_field(api, url, body, field):
    response = api.post(url, body, format="json")
    assert response.status_code == 400, response.content
    message = response.json()[field][0]
    assert field == "width_m" or f"JSON {_json_type(field)}" in message, message


def _json_type(field):
    return {"people": "integer", "name": "string", "open_air": "boolean",
            "length_m": "string", "themes": "array", "territory": "integer",
            "sites": "array", "password": "string"}[field]  # fmt: skip


def test_a_site_still_takes_its_status_and_closing_date_on_post(api):
    body = {"type": "Feature", "geometry": POINT,
            "properties": {"status": "resorbed", "closed_on": "2024-03-01",
                           "people": 12, "population_date": "2024-01-15",
                           "name": "Friche du port"}}  # fmt: skip
    writer = APIClient()
    writer.force_authenticate(user_with(Role.LOCAL_ADMIN, "92"))
    response = writer.post("/api/v1/sites/?confirm_nearby=true", body, format="json")
    assert response.status_code == 201, response.content
    properties = response.json()["properties"]
    assert (
        properties["status"] == "resorbed" and properties["closed_on"] == "2024-03-01"
    )
    assert properties["people"] == 12
