"""Record schemas, from the vendor guide's example and the field lists in NOTES.md §3."""

from __future__ import annotations

from singer_sdk import typing as th

LEVELS = (
    "plan",
    "final",
    "wishes",
    "alternative_wishes",
    "absence_wishes",
    "acd",
    "time_recording",
    "availabilities",
    "backup",
    "backup_version_2",
    "backup_version_3",
)

EMPLOYEE = th.PropertiesList(
    th.Property("employee_id", th.IntegerType, required=True),
    th.Property("first_name", th.StringType),
    th.Property("last_name", th.StringType),
    th.Property("personnel_number", th.StringType),
    th.Property("birth_date", th.DateType),
    th.Property("birth_place", th.StringType),
    th.Property("color", th.IntegerType),
    th.Property("current_identification", th.StringType),
    th.Property("deleted", th.BooleanType),
    th.Property("schedule_position", th.IntegerType),
    th.Property("automated_shift_assignment", th.BooleanType),
    th.Property("user_id", th.IntegerType),
).to_dict()

ACTIVITY = th.PropertiesList(
    th.Property("activity_id", th.IntegerType, required=True),
    th.Property("name", th.StringType),
    th.Property("name_short", th.StringType),
    th.Property("official_name", th.StringType),
    th.Property("official_name_short", th.StringType),
    th.Property("type", th.StringType),
    th.Property("paid", th.BooleanType),
    th.Property("planable", th.BooleanType),
    th.Property("requestable", th.BooleanType),
    th.Property("replaceable", th.BooleanType),
    th.Property("exchangeable", th.BooleanType),
    th.Property("deleted", th.BooleanType),
    th.Property("day_status", th.BooleanType),
    th.Property("absence_coverage", th.BooleanType),
    th.Property("allow_as_fullday", th.BooleanType),
    th.Property("allow_overstaffing", th.BooleanType),
    th.Property("comply_with_rest_period", th.BooleanType),
    th.Property("child_activity_ids", th.ArrayType(th.IntegerType)),
    th.Property("color", th.IntegerType),
    th.Property("importance", th.NumberType),
    th.Property("scheduling_priority", th.IntegerType),
    th.Property("replacement_activity_id_for_holidays", th.IntegerType),
    th.Property("replacement_activity_id_for_unscheduled_days", th.IntegerType),
    th.Property("third_party_interface", th.StringType),
    th.Property("third_party_type", th.IntegerType),
).to_dict()

_AMOUNT = th.ObjectType(
    th.Property("minimum", th.IntegerType),
    th.Property("target", th.IntegerType),
    th.Property("maximum", th.IntegerType),
)
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

CONTRACT = th.PropertiesList(
    th.Property("contract_id", th.IntegerType, required=True),
    th.Property("name", th.StringType),
    th.Property("name_short", th.StringType),
    th.Property("color", th.IntegerType),
    th.Property("deleted", th.BooleanType),
    th.Property("employment_type", th.StringType),
    th.Property(
        "working_amount",
        th.ObjectType(
            *(th.Property(period, _AMOUNT) for period in ("per_day", "per_week", "per_month", "per_year"))
        ),
    ),
    th.Property("working_hours", th.ObjectType(*(th.Property(day, th.IntegerType) for day in _WEEKDAYS))),
    th.Property("working_days_per_week", th.NumberType),
).to_dict()

PLANNING_UNIT = th.PropertiesList(
    th.Property("planning_unit_id", th.IntegerType, required=True),
    th.Property("name", th.StringType),
    th.Property("name_short", th.StringType),
    th.Property("color", th.IntegerType),
    th.Property("deleted", th.BooleanType),
    th.Property("parent_planning_unit_id", th.IntegerType),
    th.Property("planning_raster", th.IntegerType),
    th.Property("time_zone_id", th.IntegerType),
).to_dict()

EMPLOYEE_CONTRACT = th.PropertiesList(
    th.Property("employees_contract_id", th.IntegerType, required=True),
    th.Property("employee_id", th.IntegerType),
    th.Property("contract_id", th.IntegerType),
    th.Property("start_date", th.DateType),
    th.Property("end_date", th.DateType),
).to_dict()

EMPLOYEE_PLANNING_UNIT = th.PropertiesList(
    th.Property("employees_membership_id", th.IntegerType, required=True),
    th.Property("employee_id", th.IntegerType),
    th.Property("planning_unit_id", th.IntegerType),
    th.Property("start_date", th.DateType),
    th.Property("end_date", th.DateType),
    th.Property("priority", th.IntegerType),
).to_dict()

SCHEDULE = th.PropertiesList(
    th.Property("planning_unit_id", th.IntegerType, required=True),
    th.Property("employee_id", th.IntegerType, required=True),
    th.Property("booking_date", th.DateType, required=True),
    th.Property("level", th.StringType, required=True),
    th.Property(
        "schedule_blocks",
        th.ArrayType(
            th.ObjectType(
                th.Property("activity_id", th.IntegerType),
                th.Property("time_start", th.DateTimeType),
                th.Property("time_end", th.DateTimeType),
                th.Property("type", th.StringType),
            )
        ),
    ),
).to_dict()
