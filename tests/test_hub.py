"""The Meltano definitions: Hub files and the project's extractors, generated from ``--about``.

The Hub's own JSON Schemas and yamllint rules are read from ``<repo>/../shared/meltano-hub`` (the
project keeps no copy); the rules they encode that matter here are also checked directly, always.
"""

from __future__ import annotations

import importlib
import itertools
import json
from functools import cache
from typing import Any

import pytest
import yaml

from scripts import about, hub
from workforce_taps.tap import WorkforceTap

TAPS = about.taps()
HUB_RULES = about.ROOT.parent / "shared" / "meltano-hub"
# The Hub schemas' closed lists (extractors.schema.json, common/base_setting.schema.json)
TOP_LEVEL_KEYS = {
    "name", "pip_url", "variant", "namespace", "label", "description", "executable", "settings", "docs",
    "repo", "logo_url", "hidden", "python", "settings_group_validation", "commands", "capabilities",
    "metadata", "schema", "select", "maintenance_status", "quality", "domain_url", "keywords", "requires",
    "definition", "next_steps", "settings_preamble", "usage", "prereq", "supported_python_versions",
    "log_parser",
}  # fmt: skip
SETTING_KEYS = {
    "name", "aliases", "label", "value", "placeholder", "kind", "description", "tooltip", "documentation",
    "env", "value_processor", "value_post_processor", "oauth", "options", "docs", "hidden", "sensitive",
}  # fmt: skip
KINDS = {
    "integer": "integer",
    "number": "decimal",
    "boolean": "boolean",
    "array": "array",
    "object": "object",
}


@cache
def about_json(tap: str) -> dict[str, Any]:
    return about.about_json(tap)


def hub_text(tap: str) -> str:
    return hub.hub_path(tap).read_text()


def hub_file(tap: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(hub_text(tap))
    return document


def project_extractor(tap: str) -> dict[str, Any]:
    document = yaml.safe_load(hub.project_path(tap).read_text())
    (extractor,) = document["plugins"]["extractors"]
    return dict(extractor)


def tap_class(tap: str) -> type[WorkforceTap]:
    module = importlib.import_module(f"{tap.replace('-', '_')}.tap")
    return next(
        value
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, WorkforceTap) and getattr(value, "name", "") == tap
    )


def test_generated_files_are_fresh() -> None:
    files = hub.render()
    assert hub.stale(files) == [], "stale Meltano definitions: run `make hub`"
    # only its own files: others in meltano/ (e.g. scale-out extractors) are not the generator's
    vendors = {tap.removeprefix("tap-") for tap in TAPS}
    assert {path.name for path in files if path.parent.name == "meltano"} == {
        f"{vendor}.meltano.yml" for vendor in vendors
    }


@pytest.mark.parametrize("tap", TAPS)
def test_hub_file_has_the_hubs_layout_and_required_keys(tap: str) -> None:
    path = hub.hub_path(tap)
    assert path == about.ROOT / "hub" / "extractors" / tap / "workforce-taps.yml"
    definition = hub_file(tap)
    for key in ("name", "namespace", "variant", "quality"):
        assert definition.get(key), key
    assert definition["name"] == path.parent.name
    assert f"{definition['variant']}.yml" == path.name
    assert set(definition) <= TOP_LEVEL_KEYS, set(definition) - TOP_LEVEL_KEYS
    for entry in definition["settings"]:
        assert entry.get("name")
        assert set(entry) <= SETTING_KEYS, (entry["name"], set(entry) - SETTING_KEYS)


def keys_out_of_order(node: Any, where: str = "") -> list[str]:
    if isinstance(node, dict):
        found = [where or "top level"] if list(node) != sorted(node) else []
        for key, value in node.items():
            found += keys_out_of_order(value, f"{where}.{key}")
        return found
    if isinstance(node, list):
        return [
            wrong for index, item in enumerate(node) for wrong in keys_out_of_order(item, f"{where}[{index}]")
        ]
    return []


@pytest.mark.parametrize("tap", TAPS)
def test_hub_file_is_written_the_hubs_way(tap: str) -> None:
    text = hub_text(tap)
    assert keys_out_of_order(yaml.safe_load(text)) == []
    assert not text.startswith("---")
    lines = text.splitlines()
    for number, (line, following) in enumerate(itertools.pairwise(lines), start=1):
        # a list under `key:` starts at the key's own indentation
        if line.rstrip().endswith(":") and following.lstrip().startswith("- "):
            indent = len(line) - len(line.lstrip())
            assert len(following) - len(following.lstrip()) == indent, f"line {number + 1}: {following}"
    events = list(yaml.parse(text))
    for event, after in itertools.pairwise(events):  # no non-empty {…} mapping
        if isinstance(event, yaml.MappingStartEvent) and event.flow_style:
            assert isinstance(after, yaml.MappingEndEvent)


@pytest.mark.parametrize("tap", TAPS)
def test_hub_file_says_what_the_tap_says(tap: str) -> None:
    definition, info = hub_file(tap), about_json(tap)
    assert definition["pip_url"] == "workforce-taps"  # the published distribution: no -e, path or variable
    assert definition["executable"] == tap
    assert definition["namespace"] == tap.replace("-", "_")
    assert (definition["quality"], definition["maintenance_status"]) == ("bronze", "beta")
    assert "meltano_sdk" in definition["keywords"]
    assert definition["capabilities"] == info["capabilities"]
    assert definition["description"]
    assert "\n" not in definition["description"]
    properties = info["settings"]["properties"]
    assert [entry["name"] for entry in definition["settings"]] == list(properties)
    for entry in definition["settings"]:
        schema = properties[entry["name"]]
        assert entry["label"]
        assert entry.get("description") == schema.get("description")
        assert entry.get("value") == schema.get("default"), entry["name"]
        if schema.get("secret"):
            assert (entry["kind"], entry.get("sensitive")) == ("password", True), entry["name"]
            continue
        assert not entry.get("sensitive"), entry["name"]
        if "enum" in schema:
            assert entry["kind"] == "options"
            assert [option["value"] for option in entry["options"]] == schema["enum"]
            continue
        types = [name for name in schema.get("type", ["string"]) if name != "null"]
        dated = types[0] == "string" and schema.get("format") in ("date", "date-time")
        assert entry["kind"] == ("date_iso8601" if dated else KINDS.get(types[0], "string")), entry["name"]
    required = info["settings"].get("required", [])
    assert definition["settings_group_validation"], "no settings group"
    for group in definition["settings_group_validation"]:
        assert set(required) <= set(group) <= set(properties)


def test_heiaheia_lists_both_grants() -> None:
    groups = [set(group) for group in hub_file("tap-heiaheia")["settings_group_validation"]]
    assert {"email", "magic_token"} <= groups[0]
    assert not {"username", "password"} & groups[0]
    assert {"username", "password"} <= groups[1]
    assert not {"email", "magic_token"} & groups[1]


@pytest.mark.parametrize("tap", TAPS)
def test_every_settings_group_is_a_working_configuration_and_needs_each_of_its_settings(tap: str) -> None:
    tap_type = tap_class(tap)
    probe = {"tap_stream_id": "probe", "stream": "probe", "schema": {"type": "object"}, "metadata": []}

    def errors(config: dict[str, Any]) -> list[str]:
        # a given catalog: no discovery, so no request is made
        instance = tap_type(config=config, catalog={"streams": [probe]}, validate_config=False)
        return instance._validate_config(raise_errors=False)

    for group in hub_file(tap)["settings_group_validation"]:
        config = {name: "2024-01-01" if name.endswith("_date") else f"{name}-value" for name in group}
        assert errors(config) == [], group
        for name in group:
            assert errors({key: value for key, value in config.items() if key != name}), (group, name)


@pytest.mark.parametrize("tap", TAPS)
def test_project_extractor_is_the_hub_definition_installed_from_this_checkout(tap: str) -> None:
    definition, extractor = hub_file(tap), project_extractor(tap)
    assert extractor["pip_url"] == "-e ${MELTANO_PROJECT_ROOT}"
    for key in ("name", "namespace", "executable", "capabilities", "settings_group_validation"):
        assert extractor[key] == definition[key], key
    secrets = {
        name for name, schema in about_json(tap)["settings"]["properties"].items() if schema.get("secret")
    }
    assert secrets
    for ours, theirs in zip(extractor["settings"], definition["settings"], strict=True):
        # Meltano 4 wants a project's secrets as `sensitive: true`; its `password` kind is deprecated there
        assert ours == ({**theirs, "kind": "string"} if ours["name"] in secrets else theirs)
        assert bool(ours.get("sensitive")) == (ours["name"] in secrets)


def test_meltano_yml_has_no_deprecated_version_key() -> None:
    assert "version" not in yaml.safe_load((about.ROOT / "meltano.yml").read_text())


@pytest.fixture(scope="module")
def hub_validator() -> Any:
    """The Hub's extractor schema, its ``$ref``s resolved by ``$id`` as the Hub's own check does."""
    if not HUB_RULES.is_dir():
        pytest.skip(f"the Meltano Hub's schemas and yamllint rules are not at {HUB_RULES}")
    from jsonschema import Draft7Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT7

    schemas = [json.loads(path.read_text()) for path in sorted((HUB_RULES / "schemas").glob("*/*.json"))]
    registry = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema, default_specification=DRAFT7)) for schema in schemas
    )
    extractors = next(schema for schema in schemas if schema["$id"] == "extractors.schema.json")
    return Draft7Validator(extractors, registry=registry)


@pytest.mark.parametrize("tap", TAPS)
def test_hub_file_passes_the_hubs_own_schema_and_yamllint_rules(tap: str, hub_validator: Any) -> None:
    from yamllint import linter
    from yamllint.config import YamlLintConfig

    assert [error.message for error in hub_validator.iter_errors(hub_file(tap))] == []
    config = YamlLintConfig(file=str(HUB_RULES / "yamllint.yaml"))
    problems = list(linter.run(hub_text(tap), config, str(hub.hub_path(tap))))
    assert [f"{problem.line}: {problem.message} ({problem.rule})" for problem in problems] == []


def test_the_hubs_schema_refuses_keys_outside_its_closed_lists(hub_validator: Any) -> None:
    definition = hub_file("tap-crewsense")
    assert list(hub_validator.iter_errors({**definition, "requires_meltano": ">=4"}))
    secret = {**definition["settings"][0], "secret": True}
    assert list(hub_validator.iter_errors({**definition, "settings": [secret]}))
