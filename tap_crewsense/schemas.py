"""Stream schemas, from the vendor's reference (field lists of each GET endpoint).

IDs are integers (the vendor sends some as strings; the normaliser converts them), timezoneless
timestamps are ``date-time`` (emitted with the organisation's offset), dates are ``date``.
"""

from __future__ import annotations

import typing as t

from singer_sdk import typing as th

ID = th.IntegerType
TEXT = th.StringType
WHEN = th.DateTimeType
DAY = th.DateType


def _ref(*extra: th.Property[t.Any]) -> th.ObjectType:
    """A nested reference such as ``user`` / ``admin``: ``{id, name, href}``."""
    return th.ObjectType(th.Property("id", ID), th.Property("name", TEXT), th.Property("href", TEXT), *extra)


USERS = th.PropertiesList(
    th.Property("user_id", ID, required=True),
    th.Property("employee_id", TEXT),
    th.Property("username", TEXT),
    th.Property("first_name", TEXT),
    th.Property("last_name", TEXT),
    th.Property("full_name", TEXT),
    th.Property("role", TEXT),
    th.Property("avatar_url", TEXT),
    th.Property("date_of_hire", DAY),
    th.Property("date_of_birth", DAY),
    th.Property("accrual_start_date", DAY),
    th.Property("emails", th.ArrayType(TEXT)),
    th.Property("phone_numbers", th.ArrayType(TEXT)),
    th.Property("accrual_track", _ref()),
    th.Property("accrual_profile", _ref()),
).to_dict()

USER_QUALIFIERS = th.PropertiesList(
    th.Property("user_id", ID, required=True),
    th.Property("id", ID, required=True),
    th.Property("name", TEXT),
    th.Property("shortcode", TEXT),
    th.Property("ranking", th.IntegerType),
).to_dict()

ASSIGNMENTS = th.PropertiesList(
    th.Property("id", ID, required=True),
    th.Property("position", th.IntegerType),
    th.Property("name", TEXT),
    th.Property("date", DAY),
    th.Property("start", WHEN),
    th.Property("end", WHEN),
    th.Property("positions_to_fill", th.IntegerType),
    th.Property("is_work_shift", th.BooleanType),
    th.Property("self_scheduling", th.BooleanType),
    th.Property("self_scheduling_requires_approval", th.BooleanType),
    th.Property("crewsense_eligible", th.BooleanType),
    th.Property("hide_open_slots", th.BooleanType),
    th.Property("color", TEXT),
    th.Property(
        "location",
        th.ObjectType(
            th.Property("address", TEXT),
            th.Property("city", TEXT),
            th.Property("state", TEXT),
            th.Property("country", TEXT),
            th.Property("zip", TEXT),
            th.Property("latitude", th.NumberType),
            th.Property("longitude", th.NumberType),
        ),
    ),
).to_dict()

WORK_TYPES = th.PropertiesList(
    th.Property("id", ID, required=True),
    th.Property("label", TEXT),
    th.Property("work_code", TEXT),
    th.Property("primary_color", TEXT),
    th.Property("secondary_color", TEXT),
    th.Property("excludes_from_callback", th.BooleanType),
    th.Property("position", th.IntegerType),
    th.Property("href", TEXT),
).to_dict()

WORK_SUBTYPES = th.PropertiesList(
    th.Property("id", ID, required=True),
    th.Property("work_type_id", ID),
    th.Property("label", TEXT),
    th.Property("work_code", TEXT),
).to_dict()

TIME_OFF_TYPES = th.PropertiesList(
    th.Property("id", ID, required=True),
    th.Property("label", TEXT),
    th.Property("work_code", TEXT),
    th.Property("required_buffer", th.NumberType),
    th.Property("instance_limit", th.IntegerType),
    th.Property("primary_color", TEXT),
    th.Property("secondary_color", TEXT),
    th.Property("force_include", th.BooleanType),
    th.Property("forward", th.BooleanType),
    th.Property("href", TEXT),
).to_dict()

LABELS = th.PropertiesList(
    th.Property("id", ID, required=True),
    th.Property("label", TEXT),
    th.Property("color", TEXT),
    th.Property("text_color", TEXT),
    th.Property("position", th.IntegerType),
).to_dict()

GROUPS = th.PropertiesList(
    th.Property("id", ID, required=True),
    th.Property("label", TEXT),
).to_dict()

TITLES = th.PropertiesList(
    th.Property("id", ID, required=True),
    th.Property("name", TEXT),
    th.Property("max_consecutive_hours", th.IntegerType),
    th.Property("weekly_limit", th.IntegerType),
    th.Property("monthly_limit", th.IntegerType),
    th.Property("yearly_limit", th.IntegerType),
    th.Property("position", th.IntegerType),
).to_dict()

QUALIFIERS = th.PropertiesList(
    th.Property("id", ID, required=True),
    th.Property("name", TEXT),
    th.Property("shortcode", TEXT),
    th.Property("color", TEXT),
    th.Property("text_color", TEXT),
    # the docs only ever show null here; assumed to be the modifying user's id
    th.Property("modified_by", ID),
    th.Property("modified_on", WHEN),
    th.Property("target_solutions_credential_id", ID),
).to_dict()

CERTIFICATIONS = th.PropertiesList(
    th.Property("id", ID, required=True),
    th.Property("name", TEXT),
    th.Property("cert_id", TEXT),
    th.Property("created_by", _ref()),
).to_dict()

TIME_OFFS = th.PropertiesList(
    th.Property("id", ID, required=True),
    th.Property("start", WHEN, required=True),
    th.Property("end", WHEN),
    th.Property(
        "time_off_type",
        th.ObjectType(th.Property("id", ID), th.Property("name", TEXT), th.Property("work_code", TEXT)),
    ),
    th.Property("user", _ref()),
    th.Property("admin", _ref()),
    th.Property("length", th.NumberType),
    th.Property("real_length", th.NumberType),
    th.Property("status", th.IntegerType),
    th.Property("request_date", WHEN),
    th.Property("approval_date", WHEN),
    th.Property("acknowledgement_date", WHEN),
    th.Property("user_note", TEXT),
    th.Property("traded_with", _ref()),
).to_dict()

_SCHEDULE_LABEL = th.ObjectType(
    th.Property("id", ID),
    th.Property("href", TEXT),
    th.Property("label", TEXT),
    th.Property("color", TEXT),
    th.Property("text_color", TEXT),
)
_SCHEDULE_QUALIFIER = th.ObjectType(
    th.Property("id", ID),
    th.Property("href", TEXT),
    th.Property("shortcode", TEXT),
    th.Property("name", TEXT),
    th.Property("color", TEXT),
    th.Property("text_color", TEXT),
)

SCHEDULE_SHIFTS = th.PropertiesList(
    th.Property("id", ID, required=True),
    th.Property("date", DAY, required=True),
    th.Property("assignment_id", ID),
    th.Property("assignment_name", TEXT),
    th.Property("user_id", ID),
    th.Property("user_name", TEXT),
    th.Property("work_type_id", ID),
    th.Property("work_type_name", TEXT),
    th.Property("start", WHEN),
    th.Property("end", WHEN),
    th.Property("length", th.NumberType),
    th.Property("break_start", WHEN),
    th.Property("break_end", WHEN),
    th.Property("break_length", th.NumberType),
    # documented as 0 in the example only: hours held over (a boolean reads as 0/1)
    th.Property("hold_over", th.NumberType),
    th.Property("recurring", th.BooleanType),
    th.Property("labels", th.ArrayType(_SCHEDULE_LABEL)),
    th.Property("qualifiers", th.ArrayType(_SCHEDULE_QUALIFIER)),
).to_dict()

DAY_LABELS = th.PropertiesList(
    th.Property("date", DAY, required=True),
    th.Property("color", TEXT),
    th.Property("label", TEXT),
).to_dict()

PAYROLL = th.PropertiesList(
    th.Property("user_id", ID, required=True),
    th.Property("start", WHEN, required=True),
    th.Property("type", TEXT, required=True),
    th.Property("employee_id", TEXT),
    th.Property("name", TEXT),
    th.Property("work_type", TEXT),
    th.Property("work_subtype", TEXT),
    th.Property("work_code", TEXT),
    th.Property("end", WHEN),
    th.Property("assignment_id", ID),
    th.Property("assignment_name", TEXT),
    th.Property("labels", TEXT),
    th.Property("notes", TEXT),
    th.Property("total_hours", th.NumberType),
).to_dict()

CALLBACKS = th.PropertiesList(
    th.Property("id", ID, required=True),
    th.Property("title", th.ObjectType(th.Property("id", ID), th.Property("name", TEXT))),
    th.Property("initiated_by", th.ObjectType(th.Property("id", ID), th.Property("name", TEXT))),
    th.Property("start", WHEN),
    th.Property("end", WHEN),
    th.Property("positions_to_fill", th.IntegerType),
    th.Property("scheduled_to", WHEN),
    th.Property("started_at", WHEN),
    th.Property("ended_at", WHEN),
    th.Property("deadline", WHEN),
    th.Property("status", TEXT),
).to_dict()

LOGS = th.PropertiesList(
    th.Property("log_id", ID, required=True),
    th.Property("created", WHEN),
    th.Property("event_description", TEXT),
    th.Property("user", _ref()),
).to_dict()

AVAILABILITY_PERIODS = th.PropertiesList(
    th.Property("id", ID, required=True),
    th.Property("user", _ref()),
    th.Property("start", WHEN),
    th.Property("end", WHEN),
    th.Property("admin", _ref()),
    th.Property("notes", TEXT),
    th.Property("unavailability_reason", th.ObjectType(th.Property("id", ID), th.Property("name", TEXT))),
).to_dict()

TRADES = th.PropertiesList(
    th.Property("id", ID, required=True),
    th.Property("requesting_user", _ref()),
    th.Property("request_date", WHEN),
    th.Property("start", WHEN),
    th.Property("end", WHEN),
    th.Property("swap_start", WHEN),
    th.Property("swap_end", WHEN),
    th.Property("status", TEXT),
).to_dict()

SIGNUP_EVENTS = th.PropertiesList(
    th.Property("id", ID, required=True),
    th.Property("work_type_id", ID),
    th.Property("work_subtype_id", ID),
    th.Property("title", TEXT),
    th.Property("start", WHEN),
    th.Property("end", WHEN),
    th.Property("description", TEXT),
    th.Property("created_by", ID),
    th.Property("created_at", WHEN),
    th.Property("modified_by", ID),
    th.Property("modified_at", WHEN),
    th.Property("employees_needed", th.IntegerType),
    th.Property("status", TEXT),
).to_dict()

ANNOUNCEMENTS = th.PropertiesList(
    th.Property("id", ID, required=True),
    th.Property("company_id", ID),
    th.Property("title", TEXT),
    th.Property("body", TEXT),
    th.Property("first_name", TEXT),
    th.Property("last_name", TEXT),
    th.Property("user", _ref()),
).to_dict()
