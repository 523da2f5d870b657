"""``make hub``: every Meltano definition of the taps, generated from their ``--about --format=json``.

- ``hub/extractors/<tap>/workforce-taps.yml``: the tap's Meltano Hub definition, in the Hub's own
  layout (``_data/meltano/extractors/<name>/<variant>.yml``) and format (keys sorted at every
  level, list items not indented), so listing a tap on the Hub is a copy.
- ``meltano/<vendor>.meltano.yml``: this project's extractor, the same settings installed from this
  checkout (``meltano.yml`` includes it). Only these four files in ``meltano/`` are written.

``python -m scripts.hub`` rewrites them; ``--check`` exits 1 when one is stale.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from scripts.about import DISTRIBUTION, ROOT, about_json, taps
from tap_heiaheia.tap import GRANTS as HEIAHEIA_GRANTS

HUB = ROOT / "hub" / "extractors"
VARIANT = "workforce-taps"
PROJECT_PIP_URL = "-e ${MELTANO_PROJECT_ROOT}"  # this checkout, editable
KEYWORDS = ("api", "hr", "meltano_sdk", "workforce")
WORDS = {"api": "API", "csv": "CSV", "id": "ID", "ids": "IDs", "json": "JSON", "url": "URL"}


@dataclass(frozen=True)
class Vendor:
    label: str
    description: str  # one line about the vendor, as Hub entries describe theirs
    domain_url: str
    keywords: tuple[str, ...]


VENDORS = {
    "tap-crewsense": Vendor(
        "Crewsense",
        "Crew scheduling, staffing and time off for shift-based agencies (Vector Scheduling)",
        "https://api.crewsense.com/documentation/",
        ("scheduling",),
    ),
    "tap-crewmojo": Vendor(
        "Crewmojo",
        "Performance management and employee development platform",
        "https://docs.crewmojo.com/integrations/crewmojo-api",
        ("performance management",),
    ),
    "tap-injixo": Vendor(
        "injixo",
        "Workforce management for contact centres",
        "https://legacy-api.injixo.com",
        ("contact center", "scheduling"),
    ),
    "tap-heiaheia": Vendor(
        "HeiaHeia",
        "Employee wellbeing and physical activity platform",
        "https://github.com/HeiaHeia/api-docs",
        ("wellbeing",),
    ),
}

# What a JSON schema cannot state: settings of which exactly one pair completes the required ones
# (HeiaHeia's two grants). Each pair is one more settings_group_validation group.
ALTERNATIVES: dict[str, tuple[tuple[str, ...], ...]] = {"tap-heiaheia": HEIAHEIA_GRANTS}


def label(name: str) -> str:
    """``client_id`` → ``Client ID``: for a setting or an option the tap gives no title."""
    words = [WORDS.get(word, word) for word in name.replace("-", "_").split("_") if word]
    return " ".join([words[0][:1].upper() + words[0][1:], *words[1:]]) if words else name


def kind(schema: dict[str, Any]) -> str:
    """The Meltano setting kind of a property of the tap's config schema."""
    if schema.get("secret"):
        return "password"
    if "enum" in schema:
        return "options"
    declared = schema.get("type", "string")
    types = [declared] if isinstance(declared, str) else list(declared)
    first = next((name for name in types if name != "null"), "string")
    if first == "string" and schema.get("format") in ("date", "date-time"):
        return "date_iso8601"
    kinds = {
        "integer": "integer",
        "number": "decimal",
        "boolean": "boolean",
        "array": "array",
        "object": "object",
    }
    return kinds.get(first, "string")


def setting(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": name, "label": schema.get("title") or label(name)}
    if schema.get("description"):
        entry["description"] = schema["description"]
    entry["kind"] = kind(schema)
    if entry["kind"] == "password":
        entry["sensitive"] = True
    if entry["kind"] == "options":
        entry["options"] = [{"label": label(str(value)), "value": value} for value in schema["enum"]]
    if "default" in schema:
        entry["value"] = schema["default"]
    return entry


def groups(tap: str, config_schema: dict[str, Any]) -> list[list[str]]:
    required = list(config_schema.get("required", []))
    alternatives = ALTERNATIVES.get(tap, ())
    return [required + list(pair) for pair in alternatives] or ([required] if required else [])


def hub_definition(tap: str, about: dict[str, Any]) -> dict[str, Any]:
    vendor = VENDORS[tap]
    properties = about["settings"]["properties"]
    definition: dict[str, Any] = {
        "name": tap,
        "namespace": tap.replace("-", "_"),
        "variant": VARIANT,
        "label": vendor.label,
        "description": vendor.description,
        "domain_url": vendor.domain_url,
        "keywords": sorted({*KEYWORDS, *vendor.keywords}),
        "maintenance_status": "beta",  # until it has run against the live API
        "quality": "bronze",
        "pip_url": DISTRIBUTION,
        "executable": tap,
        "capabilities": list(about["capabilities"]),
        "settings": [setting(name, schema) for name, schema in properties.items()],
    }
    if groups(tap, about["settings"]):
        definition["settings_group_validation"] = groups(tap, about["settings"])
    return definition


def project_extractor(definition: dict[str, Any]) -> dict[str, Any]:
    """The Hub definition as this project's extractor: installed from the checkout, secrets as
    Meltano 4 wants them in a project (``sensitive: true``; its ``password`` kind is deprecated
    there), without the Hub's own metadata."""
    settings = [
        {**entry, "kind": "string"} if entry["kind"] == "password" else entry
        for entry in definition["settings"]
    ]
    extractor = {key: definition[key] for key in ("name", "namespace", "label", "description")}
    extractor["pip_url"] = PROJECT_PIP_URL
    extractor.update(executable=definition["executable"], capabilities=definition["capabilities"])
    extractor["settings"] = settings
    if "settings_group_validation" in definition:
        extractor["settings_group_validation"] = definition["settings_group_validation"]
    return extractor


class Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True  # each value written out, never as an anchor and alias


def dump(document: dict[str, Any], *, sort_keys: bool) -> str:
    return yaml.dump(document, Dumper=Dumper, sort_keys=sort_keys, allow_unicode=True, width=1_000_000)


def hub_path(tap: str) -> Path:
    return HUB / tap / f"{VARIANT}.yml"


def project_path(tap: str) -> Path:
    return ROOT / "meltano" / f"{tap.removeprefix('tap-')}.meltano.yml"


def render() -> dict[Path, str]:
    """Every generated file's path and fresh content."""
    files = {}
    for tap in taps():
        about = about_json(tap)
        if about["name"] != tap:
            raise SystemExit(f"{tap} --about names itself {about['name']!r}")
        definition = hub_definition(tap, about)
        files[hub_path(tap)] = dump(definition, sort_keys=True)
        header = f"# Generated by `make hub` from `{tap} --about --format=json`: do not edit.\n"
        project = {"plugins": {"extractors": [project_extractor(definition)]}}
        files[project_path(tap)] = header + dump(project, sort_keys=False)
    return files


def stale(files: dict[Path, str]) -> list[Path]:
    return [path for path, text in files.items() if not path.exists() or path.read_text() != text]


def main() -> None:
    files = render()
    if "--check" in sys.argv:
        if stale(files):
            names = ", ".join(str(path.relative_to(ROOT)) for path in stale(files))
            print(f"stale: {names}: run `make hub`", file=sys.stderr)
            sys.exit(1)
        return
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


if __name__ == "__main__":
    main()
