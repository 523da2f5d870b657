"""HeiaHeia Admin API simulator (vendor guide + OpenAPI 1.0.1, see NOTES.md §4).

Modelled as documented:

- ``POST /oauth/token`` with the ``password`` or ``magic_token`` grant; parameters in a JSON
  body, a form body or the query string. The answer carries no ``expires_in`` (tokens live two
  weeks); ``token_lifetime`` shortens that for tests.
- Tokens are accepted as ``Authorization: Bearer`` or as ``?access_token=``.
- ``GET /admin/v1/documents/organisations`` paged with ``page``/``per_page`` (default 20,
  maximum 500), filtered by ``size_classes`` and ``organisation_ids`` (comma separated,
  repeated or ``name[]=`` style all accepted), envelope ``{"total": null, "items": [...]}``.
- Per organisation: ``stats`` (live values; flat as in the OpenAPI file or wrapped in
  ``{"usage": …}`` as in the guide: option ``stats_shape``; ``numbers_as_strings`` sends ids
  and counters as strings, as some OpenAPI examples do), ``energy_levels`` (computed
  deterministically from the organisation and the date range), ``reports`` (newest first,
  ``viewed`` filter, paged).
- ``GET /reports/v1/documents/reports/{id}/full_data`` needs no authentication; data of a report
  not viewed is not accessible (404). Option ``full_data_prefixes`` chooses where full_data is
  served (the guide's "HTTP Request" line names ``/admin/v1/…``).
- Errors are ``ErrorResponse`` bodies ``{"error": code, "error_description": text}``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from workforce_taps.sandbox.core import Request, Response, VendorApp

SIZE_CLASSES = (20, 50, 10000)
ORGANISATION_COUNTS = {"small": 640, "medium": 120, "large": 2000}
MAX_PER_PAGE = 500
DEFAULT_PER_PAGE = 20
TWO_WEEKS = 14 * 24 * 3600
REPORTS_EPOCH = dt.datetime(2023, 1, 9, 8, 0, tzinfo=dt.timezone.utc)
HELSINKI = dt.timezone(dt.timedelta(hours=2))

CLIENT_ID = "hh-demo-client"
CLIENT_SECRET = "hh-demo-client-secret"
ADMIN_EMAIL = "integration@example.com"
MAGIC_TOKEN = "hh-demo-magic-token"
PASSWORD = "hh-demo-password"


@dataclass
class Report:
    id: int
    organisation_id: int
    data_instance_id: str
    generated_at: dt.datetime
    first_viewed_at: dt.datetime | None
    survey_number: int
    sub_report_business_id: str | None = None

    @property
    def viewed(self) -> bool:
        return self.first_viewed_at is not None


@dataclass
class Organisation:
    id: int
    name: str
    size_class: int
    business_id: str
    multi_business_ids: list[str]
    total_membership_count: int
    hh_core_total_membership_count: int
    hh_core_accepted_membership_count: int
    app_use_count: int
    app_monthly_use_count: int
    team_ids: list[int]
    reports: list[Report] = field(default_factory=list)


def _rng(*parts: object) -> random.Random:
    return random.Random(":".join(map(str, parts)))


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _period_start(day: dt.date, period: str) -> dt.date:
    if period == "week":
        return day - dt.timedelta(days=day.weekday())
    if period == "quarter":
        return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return day.replace(day=1)


def _period_after(start: dt.date, period: str) -> dt.date:
    if period == "week":
        return start + dt.timedelta(days=7)
    months = 3 if period == "quarter" else 1
    month_index = start.year * 12 + start.month - 1 + months
    return dt.date(month_index // 12, month_index % 12 + 1, 1)


def completed_periods(first_day: dt.date, period: str, today: dt.date) -> int:
    """How many whole periods, from the one holding ``first_day``, ended before ``today``."""
    count, start = 0, _period_start(first_day, period)
    while _period_after(start, period) <= today:
        count += 1
        start = _period_after(start, period)
    return count


def _int_list(request: Request, name: str) -> list[int] | None:
    """An array parameter in any of the encodings a Rails API accepts."""
    raw = request.query.get(name, []) + request.query.get(f"{name}[]", [])
    if not raw:
        return None
    values = [piece.strip() for item in raw for piece in item.split(",") if piece.strip()]
    return [int(value) for value in values]


class HeiaHeiaApp(VendorApp):
    name = "heiaheia"

    def __init__(
        self,
        seed: int = 1,
        size: str = "small",
        organisations: int | None = None,
        stats_shape: str = "wrapped",
        numbers_as_strings: bool = False,
        token_lifetime: float = TWO_WEEKS,
        forbidden_organisations: Iterable[int] = (),
        full_data_prefixes: Iterable[str] = ("/reports/v1",),
        reports_per_organisation: int = 4,
    ) -> None:
        super().__init__()
        if stats_shape not in ("wrapped", "flat"):
            raise ValueError("stats_shape is 'wrapped' (the guide) or 'flat' (the OpenAPI file)")
        self.seed = seed
        self.stats_shape = stats_shape
        # the OpenAPI file's examples give some integers as strings ("26")
        self.numbers_as_strings = numbers_as_strings
        self.token_lifetime = token_lifetime
        self.forbidden_organisations = set(forbidden_organisations)
        self.unavailable_data: set[str] = set()  # data instance ids whose full_data is 404
        self.tokens: dict[str, float] = {}  # live tokens and when they were issued
        self.issued_tokens: list[str] = []  # every token ever issued (tests look for leaks)
        self.organisations = self._generate(organisations or ORGANISATION_COUNTS[size], seed)
        self.by_id = {org.id: org for org in self.organisations}
        for org in self.organisations:
            self._add_reports(org, reports_per_organisation)

        self.route("POST", "/oauth/token", self.token)
        self.route("GET", "/admin/v1/documents/organisations", self.list_organisations)
        base = "/admin/v1/documents/organisations/{organisation_id}"
        self.route("GET", f"{base}/stats", self.stats)
        self.route("GET", f"{base}/energy_levels", self.energy_levels)
        self.route("GET", f"{base}/reports", self.list_reports)
        for prefix in full_data_prefixes:
            self.route("GET", f"{prefix}/documents/reports/{{data_id}}/full_data", self.full_data)

    # --- tenant ---------------------------------------------------------------------------
    @staticmethod
    def _generate(count: int, seed: int) -> list[Organisation]:
        organisations = []
        for index in range(count):
            rng = _rng(seed, "org", index)
            size_class = rng.choices(SIZE_CLASSES, weights=(15, 50, 35))[0]
            total = rng.randint(5, 60) if size_class == 20 else rng.randint(20, 3000)
            hh_total = rng.randint(0, total)
            # many organisations only use the survey part: few activated HeiaHeia users
            accepted = rng.randint(0, 4) if rng.random() < 0.45 else rng.randint(0, hh_total)
            multi = [f"{2000000 + index}-{k}" for k in range(1, 3)] if rng.random() < 0.15 else []
            organisations.append(
                Organisation(
                    id=840000 + index * 7 + rng.randint(0, 6),
                    name=f"{rng.choice(('Acme', 'Demo', 'Nordic', 'Lakeside', 'Aurora'))} "
                    f"{rng.choice(('Oy', 'Ab', 'Group', 'Logistics', 'Health'))} {index}",
                    size_class=size_class,
                    business_id=f"{2000000 + index}-{rng.randint(0, 9)}",
                    multi_business_ids=multi,
                    total_membership_count=total,
                    hh_core_total_membership_count=hh_total,
                    hh_core_accepted_membership_count=min(accepted, hh_total),
                    app_use_count=rng.randint(0, 400000),
                    app_monthly_use_count=rng.randint(0, 3000),
                    team_ids=sorted(rng.sample(range(3000, 99999), rng.randint(1, 6))),
                )
            )
        return organisations

    def _add_reports(self, org: Organisation, per_organisation: int) -> None:
        rng = _rng(self.seed, "reports", org.id)
        for number in range(1, rng.randint(0, per_organisation) + 1):
            generated = REPORTS_EPOCH + dt.timedelta(days=rng.randint(0, 900), minutes=number)
            viewed: dt.datetime | None = generated + dt.timedelta(hours=rng.randint(1, 400))
            if rng.random() < 0.3:
                viewed = None  # generated, not yet opened by the HR admin
            targets: list[str | None] = [None, *org.multi_business_ids]
            for offset, business_id in enumerate(targets):
                key = f"organisation_{org.id}_survey_key_tyovire_{number}"
                data_id = (
                    key if business_id is None else hashlib.sha1(f"{key}:{business_id}".encode()).hexdigest()  # noqa: S324
                )
                org.reports.append(
                    Report(
                        id=org.id * 100 + number * 10 + offset,
                        organisation_id=org.id,
                        data_instance_id=data_id,
                        generated_at=generated,
                        first_viewed_at=viewed,
                        survey_number=number,
                        sub_report_business_id=business_id,
                    )
                )

    def view_report(self, report_id: int | None = None, at: dt.datetime | None = None) -> Report:
        """The HR admin opens a report (the first not yet viewed one unless named)."""
        with self.lock:
            for org in self.organisations:
                if org.id in self.forbidden_organisations:
                    continue
                for report in org.reports:
                    if (report_id is None and not report.viewed) or report.id == report_id:
                        report.first_viewed_at = at or dt.datetime.now(dt.timezone.utc)
                        return report
        raise LookupError("no report left to view")

    def reports_by_data_id(self) -> dict[str, Report]:
        return {r.data_instance_id: r for org in self.organisations for r in org.reports}

    def matching_organisations(
        self, size_classes: list[int] | None, ids: list[int] | None
    ) -> list[Organisation]:
        return [
            org
            for org in self.organisations
            if (size_classes is None or org.size_class in size_classes) and (ids is None or org.id in ids)
        ]

    def expected_counts(self, config: dict[str, Any], today: dt.date | None = None) -> dict[str, int]:
        """Distinct records per stream of a first full sync; energy levels count the periods
        completed by ``today`` (UTC today unless given)."""
        orgs = self.matching_organisations(
            list(config.get("size_classes") or [50, 10000]), config.get("organisation_ids")
        )
        reachable = [org for org in orgs if org.id not in self.forbidden_organisations]
        minimum = int(config.get("min_accepted_members", 5))
        eligible = [org for org in reachable if org.hh_core_accepted_membership_count >= minimum]
        periods = completed_periods(
            dt.date.fromisoformat(str(config["start_date"])[:10]),
            config.get("energy_levels_period", "month"),
            today or dt.datetime.now(dt.timezone.utc).date(),
        )
        viewed = [r for org in reachable for r in org.reports if r.viewed]
        return {
            "organisations": len(orgs),
            "organisation_stats": len(reachable),
            "energy_levels": len(eligible) * periods,
            "survey_reports": len(viewed),
            "survey_report_data": sum(r.data_instance_id not in self.unavailable_data for r in viewed),
        }

    # --- framework hooks ------------------------------------------------------------------
    def error(self, status: int, code: str, message: str) -> Response:
        return Response.json({"error": code, "error_description": message}, status)

    def revoke_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    def is_authorized(self, request: Request) -> bool:
        token = request.bearer_token or request.arg("access_token")
        with self.lock:
            issued = self.tokens.get(token or "")
        return issued is not None and time.monotonic() - issued < self.token_lifetime

    def _unauthorized(self) -> Response:
        # ErrorResponse has no code for this; Doorkeeper (the OAuth server behind
        # /oauth/token and /oauth/revoke) answers invalid_token with this header.
        response = self.error(401, "invalid_token", "Missing authorization information")
        response.headers["WWW-Authenticate"] = 'Bearer realm="Doorkeeper", error="invalid_token"'
        return response

    def _organisation(self, request: Request, organisation_id: str) -> Organisation | Response:
        if not self.is_authorized(request):
            return self._unauthorized()
        org = self.by_id.get(int(organisation_id)) if organisation_id.isdigit() else None
        if org is None or org.id in self.forbidden_organisations:
            return self.error(403, "no_org_access", "Not authorized to access this organisation")
        return org

    def _paging(self, request: Request) -> tuple[int, int] | Response:
        try:
            page = int(request.arg("page") or 1)
            per_page = int(request.arg("per_page") or DEFAULT_PER_PAGE)
        except ValueError:
            return self.error(400, "invalid_param", "page and per_page are integers")
        if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
            return self.error(400, "invalid_param", f"page must be >= 1 and per_page 1..{MAX_PER_PAGE}")
        return page, per_page

    # --- routes ---------------------------------------------------------------------------
    def token(self, request: Request) -> Response:
        params = request.params()
        missing = [k for k in ("client_id", "client_secret", "grant_type") if not params.get(k)]
        if missing:
            return self.error(400, "missing_param", f"missing {', '.join(missing)}")
        grant = params["grant_type"]
        if grant == "magic_token":
            user_ok = params.get("email") == ADMIN_EMAIL and params.get("magic_token") == MAGIC_TOKEN
        elif grant == "password":
            user_ok = params.get("username") == ADMIN_EMAIL and params.get("password") == PASSWORD
        else:
            return self.error(400, "invalid_param", "grant_type is password or magic_token")
        client_ok = params["client_id"] == CLIENT_ID and params["client_secret"] == CLIENT_SECRET
        if not (client_ok and user_ok):
            return self.error(403, "invalid_param", "Invalid authentication details")
        token = secrets.token_hex(16)
        with self.lock:
            self.tokens[token] = time.monotonic()
            self.issued_tokens.append(token)
        return Response.json(
            {
                "access_token": token,
                "scope": "read_only_admin_api",
                "created_at": int(time.time()),
                "token_type": "bearer",
            },
            headers={"Content-Language": "en"},
        )

    def list_organisations(self, request: Request) -> Response:
        if not self.is_authorized(request):
            return self._unauthorized()
        paging = self._paging(request)
        if isinstance(paging, Response):
            return paging
        page, per_page = paging
        try:
            size_classes = _int_list(request, "size_classes")
            ids = _int_list(request, "organisation_ids")
        except ValueError:
            return self.error(400, "invalid_param", "size_classes and organisation_ids are integers")
        if size_classes and not set(size_classes) <= set(SIZE_CLASSES):
            return self.error(400, "invalid_param", "size_classes allows 20, 50 and 10000")
        orgs = self.matching_organisations(size_classes, ids)
        compact = (request.arg("compact") or "true").lower() != "false"
        items = [
            self._organisation_json(org, compact) for org in orgs[(page - 1) * per_page : page * per_page]
        ]
        total = len(orgs) if (request.arg("total_required") or "").lower() == "true" else None
        return Response.json({"total": total, "items": items})

    @staticmethod
    def _organisation_json(org: Organisation, compact: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": org.id,
            "name": org.name,
            "size_class": org.size_class,
            "multi_business_id": bool(org.multi_business_ids),
            "su_access": False,
        }
        if org.multi_business_ids:
            body["multi_business_ids"] = org.multi_business_ids
        if not compact:
            body.update(
                total_membership_count=org.total_membership_count,
                hh_core_total_membership_count=org.hh_core_total_membership_count,
                hh_core_accepted_membership_count=org.hh_core_accepted_membership_count,
                feature_tags=[],
            )
        return body

    def stats(self, request: Request, organisation_id: str) -> Response:
        org = self._organisation(request, organisation_id)
        if isinstance(org, Response):
            return org
        with self.lock:  # live counters: every call sees a little more use
            org.app_use_count += 3
        usage: dict[str, Any] = {
            "total_membership_count": org.total_membership_count,
            "hh_core_total_membership_count": org.hh_core_total_membership_count,
            "hh_core_accepted_membership_count": org.hh_core_accepted_membership_count,
            "app_use_count": org.app_use_count,
            "app_monthly_use_count": org.app_monthly_use_count,
        }
        if self.numbers_as_strings:
            usage = {key: str(value) for key, value in usage.items()}
        return Response.json({"usage": usage} if self.stats_shape == "wrapped" else usage)

    def energy_levels(self, request: Request, organisation_id: str) -> Response:
        org = self._organisation(request, organisation_id)
        if isinstance(org, Response):
            return org
        raw_start, raw_end = request.arg("start_date"), request.arg("end_date")
        if not raw_start or not raw_end:
            return self.error(400, "missing_param", "start_date and end_date are required")
        try:
            start, end = dt.date.fromisoformat(raw_start), dt.date.fromisoformat(raw_end)
        except ValueError:
            return self.error(400, "invalid_param", "start_date and end_date are dates")
        if end < start:
            return self.error(400, "invalid_param", "end_date is before start_date")
        return Response.json(self._energy_levels_json(org, start, end))

    def _energy_levels_json(self, org: Organisation, start: dt.date, end: dt.date) -> dict[str, Any]:
        rng = _rng(self.seed, "energy", org.id, start, end)
        question_ids = [185430 + k for k in range(6)]
        minimum = 7

        def group(participants: int) -> dict[str, Any]:
            answers = rng.randint(0, participants)
            insufficient = answers < minimum
            breakdown = {str(q): [round(rng.uniform(0, 40), 1) for _ in range(5)] for q in question_ids}
            return {
                "participant_count": participants,
                "answer_count": answers,
                "average_points": None if insufficient else round(rng.uniform(2, 5), 3),
                "answer_percentages": None
                if insufficient
                else [round(rng.uniform(1, 5), 4) for _ in question_ids],
                "breakdown": None if insufficient else breakdown,
                "point_categories": None
                if insufficient
                else [round(rng.uniform(0, 30), 4) for _ in range(8)],
                "insufficient_data": insufficient,
                "insufficient_data_reason": "too_few_results" if insufficient else None,
            }

        accepted = org.hh_core_accepted_membership_count
        return {
            "organisation": {
                "id": org.id,
                "name": org.name,
                "business_id": org.business_id,
                "size_class": org.size_class,
                "su_access": False,
            },
            "questions": [
                {
                    "id": q,
                    "title": {"en": f"Question {q}", "fi": f"Kysymys {q}"},
                    "kind": "radio",
                    "position": k,
                    "enabled": True,
                    "custom": False,
                    "global_comparison_type": "mean",
                    "options": [
                        {"id": q * 10 + p, "points": p, "title": {"en": str(p)}} for p in range(1, 6)
                    ],
                }
                for k, q in enumerate(question_ids)
            ],
            "teams": [
                {"id": t, "name": f"Team {t}", "managed": True, "description": None} for t in org.team_ids
            ],
            "instances": [
                {
                    "minimum_answer_count": minimum,
                    "global": {
                        "average_points": round(rng.uniform(3, 4), 3),
                        "answer_percentages": [round(rng.uniform(2, 5), 4) for _ in question_ids],
                        "breakdown": {
                            str(q): [round(rng.uniform(0, 40), 1) for _ in range(5)] for q in question_ids
                        },
                    },
                    "organisation": group(accepted),
                    "teams": {str(t): group(max(accepted // 3, 0)) for t in org.team_ids},
                }
            ],
        }

    def list_reports(self, request: Request, organisation_id: str) -> Response:
        org = self._organisation(request, organisation_id)
        if isinstance(org, Response):
            return org
        paging = self._paging(request)
        if isinstance(paging, Response):
            return paging
        page, per_page = paging
        viewed_arg = (request.arg("viewed") or "").lower()
        if viewed_arg not in ("", "true", "false", "1", "0"):
            return self.error(400, "invalid_param", "viewed is a boolean")
        with self.lock:
            reports = [r for r in org.reports if not viewed_arg or r.viewed == (viewed_arg in ("true", "1"))]
        reports.sort(key=lambda r: (r.generated_at, r.id), reverse=True)  # newest first
        items = [self._report_json(r) for r in reports[(page - 1) * per_page : page * per_page]]
        return Response.json({"total": None, "items": items})

    @staticmethod
    def _report_json(report: Report) -> dict[str, Any]:
        survey_started = report.generated_at - dt.timedelta(days=14)
        body: dict[str, Any] = {
            "id": report.id,
            "data_instance": {
                "id": report.data_instance_id,
                "type": "OrganisationSurveyReportDataInstance",
            },
            "viewed": report.viewed,
            "sub_report": report.sub_report_business_id is not None,
            "first_viewed_at": _iso(report.first_viewed_at.astimezone(HELSINKI))
            if report.first_viewed_at
            else None,
            "generated_at": _iso(report.generated_at.astimezone(HELSINKI)),
            "scheduled_survey": {
                "id": report.organisation_id % 10000 * 10 + report.survey_number,
                "started_at": survey_started.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "ends_on": (report.generated_at.date() - dt.timedelta(days=1)).isoformat(),
                "closed": True,
                "title": f"Työvire {report.survey_number}",
                "survey": {"id": 215, "title": {"en": "Työvire"}},
                "enabled_questions": [9, 10, 11, 12, 14, 27],
                "copy_questions": ["enps"],
            },
        }
        if report.sub_report_business_id:
            body["sub_report_business_id"] = report.sub_report_business_id
        return body

    def full_data(self, request: Request, data_id: str) -> Response:
        if request.path.startswith("/admin/") and not self.is_authorized(request):
            return self._unauthorized()
        with self.lock:
            report = self.reports_by_data_id().get(data_id)
            available = report is not None and report.viewed and data_id not in self.unavailable_data
        if report is None or not available:
            return self.error(404, "not_found", "Report data not found")
        return Response.json(self._full_data_json(report))

    def _full_data_json(self, report: Report) -> dict[str, Any]:
        org = self.by_id[report.organisation_id]
        body = self._energy_levels_json(org, report.generated_at.date(), report.generated_at.date())
        instance = body["instances"][0]
        started = report.generated_at - dt.timedelta(days=14)
        instance.update(
            generated_at=_iso(report.generated_at),
            start_time=started.strftime("%Y-%m-%dT%H:%M:%SZ"),
            ends_on=(report.generated_at.date() - dt.timedelta(days=1)).isoformat(),
            minimum_answer_count=5,
            point_categories={"minimum": 1, "maximum": 5, "step": 0.5},
            subgroup=None,
            filtered_subgroup=None,
            filtered_teams=None,
            tags={},
            open_questions=[],
            similarities=[],
        )
        body["organisation"].update(
            total_membership_count=org.total_membership_count,
            hh_core_total_membership_count=org.hh_core_total_membership_count,
            hh_core_accepted_membership_count=org.hh_core_accepted_membership_count,
            feature_tags=[],
            multi_business_id=bool(org.multi_business_ids),
            company_code=str(org.id * 1000),
        )
        body.update(
            id=report.data_instance_id,
            title=f"Työvire {report.survey_number}",
            sub_report=report.sub_report_business_id is not None,
            report_business_id=report.sub_report_business_id,
            report_business_desc=f"Company {report.sub_report_business_id}"
            if report.sub_report_business_id
            else None,
            survey={
                "id": 215,
                "title": {"en": "Työvire", "fi": "Työvire"},
                "custom": False,
                "report_key": "tyovire",
                "icon_url": "https://example.com/icons/{size}.png",
                "parent": None,
            },
            explicit_team_ids=None,
            explicit_tag_ids=None,
            tags=[],
            question_categories=[{"id": 526, "title": {"en": "Energy"}, "custom": False}],
        )
        return body


def create_app(seed: int = 1, size: str = "small", **options: Any) -> HeiaHeiaApp:
    return HeiaHeiaApp(seed=seed, size=size, **options)


def demo_config(base_url: str) -> dict[str, Any]:
    today = dt.datetime.now(dt.timezone.utc).date()
    two_months_back = _period_start(_period_start(today, "month") - dt.timedelta(days=40), "month")
    return {
        "api_url": base_url,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "email": ADMIN_EMAIL,
        "magic_token": MAGIC_TOKEN,
        "start_date": two_months_back.isoformat(),
    }
