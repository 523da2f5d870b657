"""tap-heiaheia against a second, deliberately different simulator: the vendor guide's LITERAL
example answers (copied from heiaheia-admin-api-reports.md, ``// …`` placeholders emptied) and
the readings of the guide and the OpenAPI file another author could plausibly have chosen.
Written apart from workforce_taps/sandbox/heiaheia.py so that the tap is not checked only against its own
author's reading."""

from __future__ import annotations

import copy
import datetime as dt
import gzip
import re
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from taputil import run_cli, run_sync

from tap_heiaheia.client import HeiaHeiaStream
from tap_heiaheia.streams import ORGANISATIONS_PATH
from tap_heiaheia.tap import TapHeiaHeia
from workforce_taps.sandbox.core import Request, Response, SandboxServer, VendorApp

from . import freeze_today

TODAY = dt.date(2019, 3, 5)  # February 2019 is the one completed energy-levels period
TOKEN = "tok-4f1d9c0e7a"  # distinctive, to look for it where it must not be
SECRET = "client-secret-9b7e"
MAGIC = "magic-token-3c5a"
DATA_IDS = (
    "organisation_123_survey_key_tyovire_123",
    "190faf097013a5ef2fccf3941c02e292de606743_2fd79f8b47a2b9c7d63b73276606587bc58a0263a02b0a47fdcd333ae66c",
)

# --- the guide's example answers, as printed ------------------------------------------------
TOKEN_ANSWER = {
    "access_token": "123123",
    "scope": "read_only_admin_api",
    "created_at": 1521446718,
    "token_type": "bearer",
}
ORGANISATIONS = {
    "total": 500,
    "items": [
        {
            "size_class": 10000,
            "id": 123,
            "name": "Demo company 1",
            "multi_business_id": True,
            "multi_business_ids": ["123123-1", "123123-2"],
        },
        {"size_class": 10000, "id": 1234, "name": "Demo company 2", "multi_business_id": False},
    ],
}
STATS = {
    "usage": {
        "total_membership_count": 20,
        "hh_core_total_membership_count": 0,
        "hh_core_accepted_membership_count": 0,
        "app_use_count": 2,
        "app_monthly_use_count": 2,
    }
}
# the OpenAPI file's OrganisationUsageStats: flat, its example values
FLAT_STATS = {
    "total_membership_count": 450,
    "hh_core_total_membership_count": 220,
    "hh_core_accepted_membership_count": 170,
    "app_use_count": 380314,
    "app_monthly_use_count": 314,
}
ENERGY_LEVELS = {
    "organisation": {
        "id": 123,
        "name": "Bahringer Inc",
        "business_id": "123123-1",
        "size_class": 20,
        "su_access": False,
    },
    "questions": [{}],
    "teams": [{}],
    "instances": [{"minimum_answer_count": 7, "global": {}, "organisation": {}, "teams": {"3790": {}}}],
}
SCHEDULED_SURVEY = {
    "id": 172,
    "started_at": "2019-05-07T11:08:37Z",
    "ends_on": "2019-05-14",
    "closed": True,
    "title": "Survey title here",
    "survey": {"id": 215, "title": {"en": "Työvire"}},
    "enabled_questions": [9, 10, 11, 12, 14, 27],
    "copy_questions": ["enps"],
}
REPORTS = {
    "total": None,
    "items": [
        {
            "id": 708,
            "data_instance": {"id": DATA_IDS[0], "type": "OrganisationSurveyReportDataInstance"},
            "viewed": True,
            "sub_report": False,
            "first_viewed_at": "2018-03-14T16:22:20+02:00",
            "generated_at": "2018-03-14T16:22:20+02:00",
            "scheduled_survey": SCHEDULED_SURVEY,
        },
        {
            "id": 709,
            "data_instance": {"id": DATA_IDS[1], "type": "OrganisationSurveyReportDataInstance"},
            "viewed": True,
            "sub_report": True,
            "sub_report_business_id": "123123-1",
            "first_viewed_at": "2018-03-14T16:22:20+02:00",
            "generated_at": "2018-03-14T16:22:20+02:00",
            "scheduled_survey": SCHEDULED_SURVEY,
        },
    ],
}
# the guide's curl asks for organisation_123_survey_key_tyovire_123 and shows this answer,
# whose own id is the other data instance's: served as it is for every data instance
FULL_DATA = {
    "title": "Survey title",
    "sub_report": True,
    "report_business_id": "123123-1",
    "report_business_desc": "Description about sub company",
    "organisation": {
        "id": 265,
        "name": "Demo company 1",
        "business_id": "123123-0",
        "size_class": 20,
        "su_access": False,
        "total_membership_count": 116,
        "hh_core_total_membership_count": 0,
        "hh_core_accepted_membership_count": 0,
        "feature_tags": [],
        "multi_business_id": True,
        "company_code": "123123123123",
    },
    "survey": {},
    "explicit_team_ids": None,
    "explicit_tag_ids": None,
    "teams": [],
    "tags": [],
    "questions": [],
    "question_categories": [],
    "instances": [
        {
            "generated_at": "2019-05-21T11:10:59+00:00",
            "start_time": "2019-05-07T11:08:37Z",
            "ends_on": "2019-05-14",
            "minimum_answer_count": 5,
            "point_categories": {"minimum": 1, "maximum": 5, "step": 0.5},
            "global": {},
            "organisation": {},
            "subgroup": None,
            "filtered_subgroup": None,
            "teams": {},
            "filtered_teams": None,
            "tags": {},
            "open_questions": [],
            "similarities": [],
        }
    ],
    "id": DATA_IDS[1],
}

# --- readings another simulator author could have chosen -----------------------------------
VARIANTS: dict[str, set[str]] = {
    "guide literal": set(),
    # OpenAPI: token answer {"access_token"} only, flat stats, full_data without an id
    "openapi": {"bare_token", "flat_stats", "full_data_without_id"},
    # OpenAPI examples give integers as strings ("26", "8430172"); Organisation's counters too
    "numbers as strings": {"flat_stats", "strings"},
    # the guide's "HTTP Request" line: full_data under /admin/v1 only, behind the token
    "full_data on the admin path": {"admin_full_data"},
    # full_data handed out from storage on another host (the OpenAPI links an S3 example)
    "full_data redirected": {"redirect_full_data"},
    # OpenAPI default array encoding: size_classes=50&size_classes=10000, "50,10000" refused
    "exploded arrays": {"exploded_arrays"},
    # token parameters read from a form body only; a Doorkeeper-like expires_in
    "form token, expires_in": {"form_token", "expires_in"},
    # form only, and a JSON body's missing client credentials refused as Doorkeeper does (401)
    "form token, 401 invalid_client": {"form_token", "invalid_client_401"},
    # per_page=1: pages exactly full, then an empty one (the literal total of 500 stays)
    "exactly full pages": {"flat_stats", "per_page_1"},
    "gzip": {"gzip", "flat_stats"},
    # a page past the last answers 404 "Invalid page." (Django REST framework's paginator)
    "past the last page is 404": {"flat_stats", "per_page_1", "past_last_page_404"},
    # timestamps as Ruby's Time#to_s writes them: "2018-03-14 16:22:20 +0200", "… 11:08:37 UTC"
    "Ruby time strings": {"ruby_times"},
    # a Doorkeeper-like token answer (expires_in, refresh_token, "Bearer")
    "doorkeeper token": {"doorkeeper"},
}


class GuideApp(VendorApp):
    """A minimal HeiaHeia serving the guide's examples, varied by ``flags``."""

    name = "heiaheia-guide"

    def __init__(self, flags: set[str], storage_url: str = "") -> None:
        super().__init__()
        self.flags = flags
        self.storage_url = storage_url
        self.forbidden: set[str] = set()
        self.route("POST", "/oauth/token", self.token)
        base = "/admin/v1/documents/organisations"
        self.route("GET", base, self.organisations)
        self.route("GET", base + "/{org}/stats", self.stats)
        self.route("GET", base + "/{org}/energy_levels", self.energy_levels)
        self.route("GET", base + "/{org}/reports", self.reports)
        prefix = "/admin/v1" if "admin_full_data" in flags else "/reports/v1"
        self.route("GET", prefix + "/documents/reports/{data_id}/full_data", self.full_data)

    def error(self, status: int, code: str, message: str) -> Response:
        return Response.json({"error": code, "error_description": message}, status)

    def is_authorized(self, request: Request) -> bool:
        if "query_token_only" in self.flags:  # the guide's examples, read as the only way
            return request.arg("access_token") == TOKEN
        return TOKEN in (request.bearer_token, request.arg("access_token"))

    def answer(self, body: Any) -> Response:
        body = copy.deepcopy(body)
        if "strings" in self.flags:
            body = _stringify_integers(body)
        if "ruby_times" in self.flags:
            body = _ruby_times(body)
        response = Response.json(body)
        if "gzip" in self.flags:
            response.body = gzip.compress(bytes(response.body))  # type: ignore[arg-type]
            response.headers["Content-Encoding"] = "gzip"
        return response

    def guarded(self, request: Request, org: str | None = None) -> Response | None:
        if not self.is_authorized(request):
            return self.error(401, "invalid_token", "Missing authorization information")
        if org in self.forbidden:
            return self.error(403, "no_org_access", "Not authorized to perform this API operation")
        return None

    def token(self, request: Request) -> Response:
        if "doorkeeper" in self.flags:  # Doorkeeper reads JSON, form and query alike
            params = request.params()
        else:
            params = request.form() if "form_token" in self.flags else request.json()
        if "invalid_client_401" in self.flags and not params.get("client_id"):
            return self.error(401, "invalid_client", "Client authentication failed")
        if not isinstance(params, dict) or not params.get("grant_type"):
            return self.error(400, "missing_param", "grant_type")
        if (params.get("client_secret"), params.get("magic_token")) != (SECRET, MAGIC):
            if "doorkeeper" in self.flags:  # Doorkeeper's answer to a refused grant
                return self.error(400, "invalid_grant", "The provided authorization grant is invalid")
            return self.error(403, "invalid_param", "Invalid authentication details")
        body: dict[str, Any] = {**TOKEN_ANSWER, "access_token": TOKEN}
        if "bare_token" in self.flags:
            body = {"access_token": TOKEN}
        if "expires_in" in self.flags:
            body.update(token_type="Bearer", expires_in=7200)
        if "doorkeeper" in self.flags:
            body.update(token_type="Bearer", expires_in=1209600, refresh_token="refresh-0d3e")
        return Response.json(body, headers={"Content-Language": "en"})

    def organisations(self, request: Request) -> Response:
        if refused := self.guarded(request):
            return refused
        if "exploded_arrays" in self.flags:
            raw = request.query.get("size_classes", [])
            if not all(value.isdigit() for value in raw):
                return self.error(400, "invalid_param", "size_classes must be integers")
            sizes = [int(value) for value in raw]
        else:
            sizes = [int(v) for v in (request.arg("size_classes") or "").split(",") if v]
        items = [o for o in ORGANISATIONS["items"] if not sizes or o["size_class"] in sizes]
        return self.answer_page(request, items, ORGANISATIONS["total"])

    def page(self, request: Request, items: list[Any], total: int | None) -> dict[str, Any] | Response:
        page, per_page = int(request.arg("page") or 1), int(request.arg("per_page") or 20)
        if "past_last_page_404" in self.flags and page > 1 and (page - 1) * per_page >= len(items):
            return Response.json({"detail": "Invalid page."}, 404)
        return {"total": total, "items": items[(page - 1) * per_page : page * per_page]}

    def stats(self, request: Request, org: str) -> Response:
        return self.guarded(request, org) or self.answer(FLAT_STATS if "flat_stats" in self.flags else STATS)

    def energy_levels(self, request: Request, org: str) -> Response:
        if refused := self.guarded(request, org):
            return refused
        if not (request.arg("start_date") and request.arg("end_date")):
            return self.error(400, "missing_param", "start_date and end_date are required")
        return self.answer(ENERGY_LEVELS)

    def reports(self, request: Request, org: str) -> Response:
        if refused := self.guarded(request, org):
            return refused
        items = REPORTS["items"] if org == "123" else []  # Demo company 2: no reports
        return self.answer_page(request, items, None)

    def answer_page(self, request: Request, items: list[Any], total: int | None) -> Response:
        page = self.page(request, items, total)
        return page if isinstance(page, Response) else self.answer(page)

    def full_data(self, request: Request, data_id: str) -> Response:
        if "admin_full_data" in self.flags and (refused := self.guarded(request)):
            return refused
        if data_id not in DATA_IDS:
            return self.error(404, "not_found", "Report data not found")
        if "redirect_full_data" in self.flags:
            return Response(302, headers={"Location": f"{self.storage_url}/bucket/{data_id}.json"})
        body = dict(FULL_DATA)
        if "full_data_without_id" in self.flags:
            del body["id"]
        return self.answer(body)


class StorageApp(VendorApp):
    """Another host holding report files (what a redirected full_data points at)."""

    name = "storage"

    def __init__(self) -> None:
        super().__init__()
        self.route("GET", "/bucket/{name}", lambda request, name: Response.json(FULL_DATA))


ISO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$")


def _ruby_times(node: Any) -> Any:
    """ISO timestamps as Ruby's Time#to_s: space-separated, ``+0200``, ``UTC`` for ``Z``."""
    if isinstance(node, dict):
        return {name: _ruby_times(value) for name, value in node.items()}
    if isinstance(node, list):
        return [_ruby_times(value) for value in node]
    if isinstance(node, str) and ISO_TIME.match(node):
        moment = dt.datetime.fromisoformat(node.replace("Z", "+00:00"))
        return moment.strftime("%Y-%m-%d %H:%M:%S " + ("UTC" if node.endswith("Z") else "%z"))
    return node


STRING_KEYS = re.compile(r"^(id|size_class|.*membership_count|app_.*use_count)$")


def _stringify_integers(node: Any, key: str = "") -> Any:
    """Ids, size classes and counters as strings, as the OpenAPI examples show some of them."""
    if isinstance(node, dict):
        return {name: _stringify_integers(value, name) for name, value in node.items()}
    if isinstance(node, list):
        return [_stringify_integers(value) for value in node]
    if isinstance(node, int) and not isinstance(node, bool) and STRING_KEYS.match(key):
        return str(node)
    return node


@pytest.fixture(autouse=True)
def _quick(monkeypatch: pytest.MonkeyPatch) -> None:
    freeze_today(monkeypatch, TODAY)
    monkeypatch.setattr(HeiaHeiaStream, "backoff_base", 0.01)


@pytest.fixture
def servers(request: pytest.FixtureRequest) -> Iterator[tuple[SandboxServer, SandboxServer]]:
    flags = VARIANTS[request.param] if hasattr(request, "param") else set()
    storage = SandboxServer(StorageApp()).start()
    # the storage host is named differently from the API's 127.0.0.1
    app = GuideApp(flags, storage.url.replace("127.0.0.1", "localhost"))
    api = SandboxServer(app).start()
    yield api, storage
    api.stop()
    storage.stop()


def config_for(server: SandboxServer, **overrides: Any) -> dict[str, Any]:
    return {
        "api_url": server.url,
        "client_id": "client-id",
        "client_secret": SECRET,
        "email": "client@client.com",
        "magic_token": MAGIC,
        "start_date": "2019-02-01",
        **overrides,
    }


def assert_records_match_their_schemas(result: Any) -> None:
    for stream in result.streams():
        validator = jsonschema.Draft7Validator(result.schema(stream))
        for record in result.records(stream):
            errors = [f"{'.'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(record)]
            assert errors == [], (stream, errors)


@pytest.mark.parametrize("servers", list(VARIANTS), indirect=True)
def test_the_guides_examples_and_their_plausible_readings(
    servers: tuple[SandboxServer, SandboxServer], request: pytest.FixtureRequest
) -> None:
    api, storage = servers
    flags = VARIANTS[request.node.callspec.params["servers"]]
    config = config_for(api, per_page=1) if "per_page_1" in flags else config_for(api)
    result = run_sync(TapHeiaHeia, config)

    organisations = result.records("organisations")
    assert [(o["id"], o["name"], o["size_class"]) for o in organisations] == [
        (123, "Demo company 1", 10000),
        (1234, "Demo company 2", 10000),
    ]
    assert organisations[0]["multi_business_ids"] == ["123123-1", "123123-2"]

    stats = result.records("organisation_stats")
    counters = FLAT_STATS if "flat_stats" in flags else STATS["usage"]
    assert [s["organisation_id"] for s in stats] == [123, 1234]
    assert all({k: s[k] for k in counters} == counters for s in stats)

    energy = result.records("energy_levels")
    if "flat_stats" in flags:  # 170 accepted members: February, for both organisations
        assert [(e["organisation_id"], e["period_start"], e["period_end"]) for e in energy] == [
            (123, "2019-02-01", "2019-02-28"),
            (1234, "2019-02-01", "2019-02-28"),
        ]
        assert energy[0]["organisation"]["id"] == 123
        assert list(energy[0]["instances"][0]["teams"]) == ["3790"]
    else:  # the guide's stats: 0 accepted members, nothing to ask
        assert energy == []
        assert api.requests_to(r"/energy_levels$") == []

    reports = result.records("survey_reports")
    assert [(r["id"], r["organisation_id"], r["data_instance"]["id"]) for r in reports] == [
        (708, 123, DATA_IDS[0]),
        (709, 123, DATA_IDS[1]),
    ]
    assert {r["first_viewed_at"] for r in reports} == {"2018-03-14T14:22:20+00:00"}
    assert reports[0]["scheduled_survey"]["started_at"] == "2019-05-07T11:08:37+00:00"
    assert reports[0]["scheduled_survey"]["ends_on"] == "2019-05-14"
    assert reports[0]["scheduled_survey"]["enabled_questions"] == [9, 10, 11, 12, 14, 27]

    if "past_last_page_404" in flags:
        assert [e.status for e in api.requests_to(r"/organisations$")] == [200, 200, 404]

    data = result.records("survey_report_data")
    assert sorted((d["id"], d["report_id"], d["organisation_id"]) for d in data) == [
        (DATA_IDS[1], 709, 123),
        (DATA_IDS[0], 708, 123),
    ]
    for record in data:
        assert record["first_viewed_at"] == "2018-03-14T14:22:20+00:00"
        assert record["instances"][0]["start_time"] == "2019-05-07T11:08:37+00:00"
        assert record["organisation"]["total_membership_count"] == 116
    own_ids = {d.get("full_data_id") for d in data}
    assert own_ids == ({None} if "full_data_without_id" in flags else {DATA_IDS[1]})
    assert_records_match_their_schemas(result)

    # the token: only in the Authorization header, only to the configured host
    for entry in api.log:
        assert "access_token" not in entry.query
        assert entry.authorized or not entry.path.startswith("/admin/"), entry.path
    assert all(not entry.authorized for entry in storage.log)
    assert len(storage.log) == (2 if "redirect_full_data" in flags else 0)

    # run again from the final state: nothing downloaded twice, no period asked twice
    api.clear()
    again = run_sync(TapHeiaHeia, config, state=result.state)
    assert again.records("survey_report_data") == []
    assert again.records("energy_levels") == []
    assert api.requests_to(r"/full_data$") == []


@pytest.mark.parametrize("servers", ["full_data redirected"], indirect=True)
def test_no_token_or_secret_in_the_cli_output(servers: tuple[SandboxServer, SandboxServer]) -> None:
    api, _ = servers
    result = run_cli("tap-heiaheia", config_for(api))
    assert result.returncode == 0, result.stderr[-2000:]
    for secret in (TOKEN, SECRET, MAGIC):
        assert secret not in result.stdout + result.stderr


def test_no_org_access_skips_that_organisation(
    servers: tuple[SandboxServer, SandboxServer], caplog: pytest.LogCaptureFixture
) -> None:
    api, _ = servers
    assert isinstance(api.app, GuideApp)
    api.app.forbidden.add("1234")
    result = run_sync(TapHeiaHeia, config_for(api))
    assert [s["organisation_id"] for s in result.records("organisation_stats")] == [123]
    assert {r["id"] for r in result.records("survey_reports")} == {708, 709}
    assert "1234" in caplog.text
    assert [e.path for e in api.log if e.status == 403] == ["/admin/v1/documents/organisations/1234/stats"]


@pytest.mark.parametrize("servers", ["openapi"], indirect=True)
def test_invalid_param_fails_naming_stream_path_and_description(
    servers: tuple[SandboxServer, SandboxServer],
) -> None:
    api, _ = servers
    body = {"error": "invalid_param", "error_description": "end_date is before start_date"}
    api.inject("status", r"/energy_levels$", status=400, body=body)
    with pytest.raises(
        Exception, match=r"energy_levels: GET \S+/123/energy_levels answered 400.*end_date is before"
    ):
        run_sync(TapHeiaHeia, config_for(api))


def test_refused_credentials_name_the_settings_not_their_values(
    servers: tuple[SandboxServer, SandboxServer],
) -> None:
    api, _ = servers
    with pytest.raises(Exception, match=r"403.*Invalid authentication details.*email/magic_token") as failure:
        run_sync(TapHeiaHeia, config_for(api, magic_token="wrong-magic-77"))
    assert "wrong-magic-77" not in str(failure.value)
    assert SECRET not in str(failure.value)


@pytest.mark.parametrize("servers", ["doorkeeper token"], indirect=True)
def test_a_grant_refused_with_400_invalid_grant_names_the_settings(
    servers: tuple[SandboxServer, SandboxServer],
) -> None:
    api, _ = servers
    with pytest.raises(Exception, match=r"400.*invalid_grant.*email/magic_token") as failure:
        run_sync(TapHeiaHeia, config_for(api, magic_token="wrong-magic-77"))
    assert "wrong-magic-77" not in str(failure.value)
    assert SECRET not in str(failure.value)
    assert [e.status for e in api.log] == [400, 400]  # JSON, then once more as a form


def test_rate_limited_without_retry_after_and_a_slow_first_byte(
    servers: tuple[SandboxServer, SandboxServer],
) -> None:
    api, _ = servers
    api.inject("status", r"/stats$", status=429, body={"error": "rate_limited"})
    api.inject("delay", r"/full_data$", delay=1.0)
    result = run_sync(TapHeiaHeia, config_for(api))
    assert [s["organisation_id"] for s in result.records("organisation_stats")] == [123, 1234]
    assert len(result.records("survey_report_data")) == 2
    assert [e.status for e in api.requests_to(r"/123/stats$")] == [429, 200]


def test_a_server_reading_the_token_only_from_the_query_fails_naming_the_header(
    servers: tuple[SandboxServer, SandboxServer],
) -> None:
    """Not supported: the token never goes into URLs (the OpenAPI file documents the header).
    The run fails after one renewal, saying how the token was sent, and never leaks it."""
    api, _ = servers
    assert isinstance(api.app, GuideApp)
    api.app.flags = {"query_token_only"}
    with pytest.raises(
        Exception, match=r"organisations: GET \S+ answered 401.*Authorization: Bearer"
    ) as failure:
        run_sync(TapHeiaHeia, config_for(api))
    assert TOKEN not in str(failure.value)
    assert [e.path for e in api.log] == [
        "/oauth/token",
        ORGANISATIONS_PATH,
        "/oauth/token",
        ORGANISATIONS_PATH,
    ]
    assert all("access_token" not in e.query for e in api.log)


def test_unavailable_without_a_json_body_is_retried(servers: tuple[SandboxServer, SandboxServer]) -> None:
    api, _ = servers
    api.inject("status", r"/reports$", times=2, status=503, body="<html>Service Unavailable</html>")
    result = run_sync(TapHeiaHeia, config_for(api))
    assert {r["id"] for r in result.records("survey_reports")} == {708, 709}
    assert [e.status for e in api.requests_to(r"/123/reports$")] == [503, 503, 200]


def test_empty_tenant(servers: tuple[SandboxServer, SandboxServer]) -> None:
    api, _ = servers
    api.inject("status", r"/organisations$", status=200, body={"total": None, "items": []})
    result = run_sync(TapHeiaHeia, config_for(api))
    assert result.streams() == set()
    assert [e.path for e in api.log] == ["/oauth/token", "/admin/v1/documents/organisations"]
