"""Stream schemas (OpenAPI 1.0.1 and the guide's examples). Objects keyed by team, tag or
question id stay JSON objects (``additionalProperties``); nested report structures whose full
contents the vendor does not document stay open objects too."""

from __future__ import annotations

from singer_sdk import typing as th

OpenObject = th.ObjectType(additional_properties=True)
Translated = th.ObjectType(
    th.Property("en", th.StringType),
    th.Property("fi", th.StringType),
    th.Property("sv", th.StringType),
    additional_properties=True,
)
Question = th.ObjectType(
    th.Property("id", th.IntegerType),
    th.Property("title", Translated),
    th.Property("description", Translated),
    th.Property("category", Translated),
    th.Property("category_object", OpenObject),
    th.Property("options", th.ArrayType(OpenObject)),
    th.Property("custom", th.BooleanType),
    th.Property("enabled", th.BooleanType),
    th.Property("position", th.IntegerType),
    th.Property("kind", th.StringType),
    th.Property("global_comparison_type", th.StringType),
    additional_properties=True,
)
Team = th.ObjectType(
    th.Property("id", th.IntegerType),
    th.Property("name", th.StringType),
    th.Property("avatar_url", th.StringType),
    th.Property("description", th.StringType),
    th.Property("managed", th.BooleanType),
    th.Property("include_in_team_tag_breakdown", th.BooleanType),
    th.Property("parent", OpenObject),
    additional_properties=True,
)
GroupResults = th.ObjectType(
    th.Property("average_points", th.NumberType),
    th.Property("answer_percentages", th.ArrayType(th.NumberType)),
    th.Property("breakdown", OpenObject),  # question id → percentages per option
    th.Property("participant_count", th.IntegerType),
    th.Property("answer_count", th.IntegerType),
    th.Property("point_categories", th.ArrayType(th.NumberType)),
    th.Property("insufficient_data", th.BooleanType),
    th.Property("insufficient_data_reason", th.StringType),
    additional_properties=True,
)
EnergyLevelsInstance = th.ObjectType(
    th.Property("minimum_answer_count", th.IntegerType),
    th.Property("global", GroupResults),
    th.Property("organisation", GroupResults),
    th.Property("teams", OpenObject),  # team id → GroupResults
    additional_properties=True,
)
SurveyReportInstance = th.ObjectType(
    th.Property("generated_at", th.DateTimeType),
    th.Property("start_time", th.DateTimeType),
    th.Property("ends_on", th.DateType),
    th.Property("minimum_answer_count", th.IntegerType),
    th.Property("point_categories", OpenObject),
    th.Property("global", GroupResults),
    th.Property("organisation", GroupResults),
    th.Property("subgroup", OpenObject),
    th.Property("filtered_subgroup", OpenObject),
    th.Property("teams", OpenObject),  # team id → results (with a tag breakdown)
    th.Property("filtered_teams", OpenObject),
    th.Property("tags", OpenObject),  # tag id → results
    th.Property("open_questions", th.ArrayType(OpenObject)),
    th.Property("similarities", th.ArrayType(OpenObject)),
    additional_properties=True,
)
ReportOrganisation = th.ObjectType(
    th.Property("id", th.IntegerType),
    th.Property("name", th.StringType),
    th.Property("business_id", th.StringType),
    th.Property("size_class", th.IntegerType),
    th.Property("su_access", th.BooleanType),
    th.Property("total_membership_count", th.IntegerType),
    th.Property("hh_core_total_membership_count", th.IntegerType),
    th.Property("hh_core_accepted_membership_count", th.IntegerType),
    th.Property("feature_tags", th.ArrayType(th.StringType)),
    th.Property("multi_business_id", th.BooleanType),
    th.Property("company_code", th.StringType),
    additional_properties=True,
)

ORGANISATIONS = th.PropertiesList(
    th.Property("id", th.IntegerType, required=True),
    th.Property("name", th.StringType),
    th.Property("size_class", th.IntegerType),
    th.Property("multi_business_id", th.BooleanType),
    th.Property("multi_business_ids", th.ArrayType(th.StringType)),
    th.Property("su_access", th.BooleanType),
    # only in the full (non-compact) representation
    th.Property("total_membership_count", th.IntegerType),
    th.Property("hh_core_total_membership_count", th.IntegerType),
    th.Property("hh_core_accepted_membership_count", th.IntegerType),
    th.Property("feature_tags", th.ArrayType(th.StringType)),
).to_dict()

ORGANISATION_STATS = th.PropertiesList(
    th.Property("organisation_id", th.IntegerType, required=True),
    th.Property("synced_at", th.DateTimeType, required=True),
    th.Property("total_membership_count", th.IntegerType),
    th.Property("hh_core_total_membership_count", th.IntegerType),
    th.Property("hh_core_accepted_membership_count", th.IntegerType),
    th.Property("app_use_count", th.IntegerType),
    th.Property("app_monthly_use_count", th.IntegerType),
).to_dict()

ENERGY_LEVELS = th.PropertiesList(
    th.Property("organisation_id", th.IntegerType, required=True),
    th.Property("period_start", th.DateType, required=True),
    th.Property("period_end", th.DateType, required=True),
    th.Property("organisation", ReportOrganisation),
    th.Property("questions", th.ArrayType(Question)),
    th.Property("teams", th.ArrayType(Team)),
    th.Property("instances", th.ArrayType(EnergyLevelsInstance)),
).to_dict()

SURVEY_REPORTS = th.PropertiesList(
    th.Property("id", th.IntegerType, required=True),
    th.Property("organisation_id", th.IntegerType, required=True),
    th.Property(
        "data_instance",
        th.ObjectType(th.Property("id", th.StringType), th.Property("type", th.StringType)),
    ),
    th.Property("viewed", th.BooleanType),
    th.Property("sub_report", th.BooleanType),
    th.Property("sub_report_business_id", th.StringType),
    th.Property("first_viewed_at", th.DateTimeType),
    th.Property("generated_at", th.DateTimeType),
    th.Property(
        "scheduled_survey",
        th.ObjectType(
            th.Property("id", th.IntegerType),
            th.Property("started_at", th.DateTimeType),
            th.Property("ends_on", th.DateType),
            th.Property("closed", th.BooleanType),
            th.Property("title", th.StringType),
            th.Property(
                "survey",
                th.ObjectType(th.Property("id", th.IntegerType), th.Property("title", Translated)),
            ),
            th.Property("enabled_questions", th.ArrayType(th.IntegerType)),
            th.Property("copy_questions", th.ArrayType(th.StringType)),
            additional_properties=True,
        ),
    ),
).to_dict()

SURVEY_REPORT_DATA = th.PropertiesList(
    # the data instance id: a long alphanumeric string, not an integer
    th.Property("id", th.StringType, required=True),
    th.Property("organisation_id", th.IntegerType, required=True),
    th.Property("report_id", th.IntegerType, required=True),
    th.Property("full_data_id", th.StringType),  # full_data's own id, when it sends one
    th.Property("first_viewed_at", th.DateTimeType),
    th.Property("title", th.StringType),
    th.Property("sub_report", th.BooleanType),
    th.Property("report_business_id", th.StringType),
    th.Property("report_business_desc", th.StringType),
    th.Property("organisation", ReportOrganisation),
    th.Property(
        "survey",
        th.ObjectType(
            th.Property("id", th.IntegerType),
            th.Property("title", Translated),
            th.Property("custom", th.BooleanType),
            th.Property("description", Translated),
            th.Property("icon_url", th.StringType),
            th.Property("report_key", th.StringType),
            th.Property("parent", OpenObject),
            additional_properties=True,
        ),
    ),
    th.Property("explicit_team_ids", th.ArrayType(th.IntegerType)),
    th.Property("explicit_tag_ids", th.ArrayType(th.IntegerType)),
    th.Property("teams", th.ArrayType(Team)),
    th.Property("tags", th.ArrayType(OpenObject)),
    th.Property("questions", th.ArrayType(Question)),
    th.Property("question_categories", th.ArrayType(OpenObject)),
    th.Property("instances", th.ArrayType(SurveyReportInstance)),
).to_dict()
