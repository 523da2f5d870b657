"""meltano/<vendor>.meltano.yml declares every setting of its tap, secrets as sensitive."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
TAPS = {
    "crewsense": "TapCrewsense",
    "crewmojo": "TapCrewmojo",
    "injixo": "TapInjixo",
    "heiaheia": "TapHeiaHeia",
}


def extractor(vendor: str) -> dict[str, Any]:
    document = yaml.safe_load((ROOT / "meltano" / f"{vendor}.meltano.yml").read_text())
    (plugin,) = document["plugins"]["extractors"]
    assert plugin["name"] == f"tap-{vendor}"
    return dict(plugin)


@pytest.mark.parametrize("vendor", TAPS)
def test_every_tap_setting_is_declared_and_secrets_are_sensitive(vendor: str) -> None:
    tap_class = getattr(importlib.import_module(f"tap_{vendor}.tap"), TAPS[vendor])
    builtin: dict[str, Any] = {"properties": {}}
    tap_class.append_builtin_config(builtin)  # stream maps, flattening, batch: the SDK's own
    properties = tap_class.config_jsonschema["properties"].items()
    own = {name: schema for name, schema in properties if name not in builtin["properties"]}
    declared = {setting["name"]: setting for setting in extractor(vendor)["settings"]}
    assert set(own) <= set(declared), set(own) - set(declared)
    for name, schema in own.items():
        assert bool(declared[name].get("sensitive")) == bool(schema.get("secret")), name
    assert any(schema.get("secret") for schema in own.values())
