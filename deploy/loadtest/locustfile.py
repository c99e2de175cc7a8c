# ruff: noqa: S311 (random picks of pages and tiles to load, no secret)
"""`make loadtest`: mixed reads and writes by every role, at a constant total rate.

Run by deploy/loadtest.sh (locust in var/loadtest/venv, not the project's venv: this
file imports nothing of the project). Each request is named by its endpoint group
("role: what"), the rows of the report (deploy/loadtest/report.py).

Users: anonymous visitors, and the demo accounts asso92 (contributor, Boulogne),
prefecture92 (local admin, Hauts-de-Seine) and ministere (national). Every signed-in
locust user logs in once, with the login form (its own session, for HTML pages), and
the API token of its account is asked for once per account and shared: no login is
repeated, so neither django-axes nor a rate limit ever sees a burst.

Each user runs RATE tasks a second (locust's constant_throughput), one request per
task: USERS users give USERS x RATE requests a second (deploy/loadtest.sh: 30 x 5/3,
50 requests a second).
"""

import datetime
import itertools
import os
import random
import re

from gevent.lock import Semaphore
from locust import HttpUser, constant_throughput, task
from locust.exception import StopUser

PASSWORD = os.environ.get("LOADTEST_PASSWORD", "terrain-demo-2026")
RATE = float(os.environ.get("LOADTEST_RATE_PER_USER", str(5 / 3)))
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

# Tiles people look at: France (z5), the Paris region (z8 to z10), Boulogne (z12 to z14).
FRANCE = [(5, x, y) for x in (15, 16, 17) for y in (10, 11, 12)]
PARIS = [(8, 129, 88), (8, 129, 87), (9, 259, 176), (10, 518, 352), (10, 517, 352)]
BOULOGNE = [(12, 2073, 1409), (13, 4146, 2819), (13, 4147, 2818), (14, 8293, 5638)]
# A point inside Boulogne-Billancourt (92012), where asso92 may report.
BOULOGNE_LON, BOULOGNE_LAT = 2.2399, 48.8353


class TerrainUser(HttpUser):
    abstract = True
    wait_time = constant_throughput(RATE)

    def on_start(self):
        # The run's own self-signed certificate (deploy/loadtest.sh).
        self.client.verify = os.environ.get("LOADTEST_CA_BUNDLE", True)

    def get(self, group: str, path: str, **kwargs):
        with self.client.get(path, name=group, catch_response=True, **kwargs) as r:
            # 204: an empty tile. Anything else not 2xx is a failure.
            if not 200 <= r.status_code < 300:
                r.failure(f"{r.status_code} on {path}")


class Anonymous(TerrainUser):
    fixed_count = 14

    @task(3)
    def home(self):
        self.get("anonymous: home page", "/")

    @task(2)
    def public_indicators(self):
        self.get(
            "anonymous: public indicators",
            random.choice(["/public/", "/public/indicators.json"]),
        )

    @task(5)
    def public_tiles(self):
        layer = random.choice(["sites", "sites", "territories"])
        z, x, y = random.choice(FRANCE + PARIS)
        self.get("anonymous: public tiles", f"/tiles/{layer}/{z}/{x}/{y}.pbf")


_tokens: dict[str, str] = {}
_token_lock = Semaphore()


class SignedIn(TerrainUser):
    abstract = True
    account = ""

    def on_start(self):
        super().on_start()
        self.log_in()
        with _token_lock:  # one token request per account, shared by its users
            if self.account not in _tokens:
                _tokens[self.account] = self.ask_token()
        self.token = {"Authorization": f"Token {_tokens[self.account]}"}

    def log_in(self):
        email = f"{self.account}@demo.terrain"
        form = self.client.get("/accounts/login/", name=f"{self.account}: log in")
        match = CSRF.search(form.text)
        if form.status_code != 200 or not match:
            raise StopUser(f"no login form for {email}: {form.status_code}")
        answer = self.client.post(
            "/accounts/login/",
            name=f"{self.account}: log in",
            data={
                "username": email,
                "password": PASSWORD,
                "csrfmiddlewaretoken": match.group(1),
            },
            headers={"Referer": self.host + "/accounts/login/"},
            allow_redirects=False,
        )
        if answer.status_code != 302:
            raise StopUser(f"login refused for {email}: {answer.status_code}")

    def ask_token(self) -> str:
        answer = self.client.post(
            "/api/v1/auth/token",
            name=f"{self.account}: log in",
            json={"email": f"{self.account}@demo.terrain", "password": PASSWORD},
        )
        if answer.status_code != 200:
            raise StopUser(f"no token for {self.account}: {answer.status_code}")
        return answer.json()["token"]

    def api(self, group: str, method: str, path: str, expect=(200,), **kwargs):
        with self.client.request(
            method, path, name=group, headers=self.token, catch_response=True, **kwargs
        ) as r:
            if r.status_code not in expect:
                r.failure(f"{r.status_code} on {method} {path}: {r.text[:200]}")
            return r


class Association(SignedIn):
    """asso92: its sites and map, the API lists, and writes: a site's population
    estimate, a reported parking space."""

    fixed_count = 6
    account = "asso92"
    numbers = itertools.count()

    def on_start(self):
        super().on_start()
        self.number = next(Association.numbers)
        sites = self.api(
            "asso92: sites API list", "GET", "/api/v1/sites/?territory=92012"
        ).json()
        editable = sorted(f["id"] for f in sites.get("features", []))
        # One site per user at most: two users editing one site would be refused as
        # stale (409), which is the application working, not the load test.
        self.site = editable[self.number] if self.number < len(editable) else None
        self.version = None
        self.people = 0

    @task(3)
    def site_list(self):
        self.get("asso92: site list page", "/sites/")

    @task(3)
    def map_tiles(self):
        z, x, y = random.choice(BOULOGNE + PARIS)
        self.api(
            "asso92: map tiles", "GET", f"/tiles/sites/{z}/{x}/{y}.pbf", (200, 204)
        )

    @task(3)
    def api_lists(self):
        path = random.choice(
            [
                "/api/v1/sites/?territory=92",
                "/api/v1/interventions/?territory=92",
                "/api/v1/accessibility-points/?commune=92012&page_size=100",
            ]
        )
        self.api("asso92: API lists", "GET", path)

    @task(1)
    def write(self):
        if self.site is None:
            return self.report_point()
        if self.version is None:
            site = self.api(
                "asso92: site update", "GET", f"/api/v1/sites/{self.site}/"
            ).json()
            self.version = site["properties"]["version"]
            # A new estimate never below the counts it contains (households, ...).
            counts = ("people", "households", "women", "minors")
            self.people = max(site["properties"].get(c) or 0 for c in counts)
            return None
        people = self.people + random.randint(0, 10)
        answer = self.api(
            "asso92: site update",
            "PATCH",
            f"/api/v1/sites/{self.site}/",
            # A new estimate carries its date (the site's clean() asks for it).
            json={
                "properties": {
                    "version": self.version,
                    "people": people,
                    "population_date": datetime.datetime.now(datetime.UTC)
                    .date()
                    .isoformat(),
                }
            },
        )
        if answer.status_code == 200:
            self.version = answer.json()["properties"]["version"]
        else:
            self.version = None  # read it again
        return None

    def report_point(self):
        lon = BOULOGNE_LON + random.uniform(-0.004, 0.004)
        lat = BOULOGNE_LAT + random.uniform(-0.003, 0.003)
        self.api(
            "asso92: report a parking space",
            "POST",
            "/api/v1/accessibility-points/",
            expect=(201,),
            json={
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {"kind": "disabled_parking", "spaces": 1},
            },
        )


class Prefecture(SignedIn):
    """prefecture92: lists, exports, and verifies the spaces associations report."""

    fixed_count = 5
    account = "prefecture92"

    def on_start(self):
        super().on_start()
        self.to_verify: list[int] = []

    @task(3)
    def lists(self):
        path = random.choice(
            ["/sites/", "/interventions/", "/api/v1/sites/?territory=92"]
        )
        if path.startswith("/api/"):
            self.api("prefecture92: lists", "GET", path)
        else:
            self.get("prefecture92: lists", path)

    @task(1)
    def export(self):
        path = random.choice(
            [
                "/api/v1/sites/export/?format_type=csv&territory=92",
                "/api/v1/sites/export/?format_type=geojson&territory=92",
            ]
        )
        self.api("prefecture92: exports", "GET", path)

    @task(2)
    def verify(self):
        if not self.to_verify:
            found = self.api(
                "prefecture92: reported spaces",
                "GET",
                "/api/v1/accessibility-points/?status=reported&commune=92012",
            ).json()
            self.to_verify = [f["id"] for f in found.get("features", [])]
            random.shuffle(self.to_verify)
            return
        point = self.to_verify.pop()
        self.api(
            "prefecture92: verify a space",
            "POST",
            f"/api/v1/accessibility-points/{point}/verify/",
        )


class Ministry(SignedIn):
    """ministere: national indicators and the map of France."""

    fixed_count = 5
    account = "ministere"

    @task(2)
    def indicators(self):
        path = random.choice(
            [
                "/indicators/",
                "/indicators/nation/FR/",
                "/indicators/departement/92/",
                "/indicators/region/11/",
            ]
        )
        self.get("ministere: indicators", path)

    @task(3)
    def tiles(self):
        layer = random.choice(["sites", "interventions", "accessibility-points"])
        z, x, y = random.choice(FRANCE + PARIS)
        self.api(
            "ministere: tiles", "GET", f"/tiles/{layer}/{z}/{x}/{y}.pbf", (200, 204)
        )
