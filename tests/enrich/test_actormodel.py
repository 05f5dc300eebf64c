"""The actor classifier (issue 12 part 2; the enricher's actor decision, see
test_actordecision.py): mention features on real sentences through the real spaCy models, the
numpy logistic regression, the stored weights, and the cross-validation harness's data selection
(never a test split)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from diplowire.enrich import diplo, nlp
from diplowire.enrich.diplo import actormodel
from diplowire.enrich.diplo.actorfeatures import FEATURES, INDEX, MentionRow, mention_rows
from eval import devdata, evaluate


def _rows(text: str, lang: str, parser: bool = False) -> dict[str, list[MentionRow]]:
    pipeline = nlp.load(lang)
    assert pipeline is not None
    doc = pipeline(text)
    facts = diplo.analyze(doc, lang, learned_actors=False)
    if parser:
        doc = pipeline.get_pipe("parser")(doc)
    out: dict[str, list[MentionRow]] = {}
    for row in mention_rows(doc, lang, facts):
        out.setdefault(row.code, []).append(row)
    return out


def _f(row: MentionRow, name: str) -> float:
    return row.features[INDEX[name]]


def test_list_position_and_location_cues() -> None:
    rows = _rows("France, Germany and Italy voted against the resolution in Kenya.", "en")
    assert {"FR", "DE", "IT", "KE"} <= set(rows)
    assert _f(rows["FR"][0], "list_position") == 0 and _f(rows["FR"][0], "in_list") == 1
    assert _f(rows["IT"][0], "list_after_first") == 1
    assert _f(rows["IT"][0], "list_position") > _f(rows["DE"][0], "list_position")
    assert _f(rows["KE"][0], "prev_loc_prep") == 1 and _f(rows["KE"][0], "in_list") == 0
    assert all(len(r.features) == len(FEATURES) for rs in rows.values() for r in rs)


def test_a_french_list_runs_through_elided_articles_and_continuers() -> None:
    # The wave-11 sentence shape (w11-af-me-fr-22): the small French model tags "l’" as a noun,
    # which used to cut the run at every elided article; "ou encore" ends the list like "et".
    text = (
        "D’autres pays comme l’Ouganda, le Zimbabwe, l’Algérie, le Sud-Soudan, la Centrafrique, "
        "la Guinée-équatoriale, l’Angola ou encore le Burundi se sont abstenus."
    )
    rows = _rows(text, "fr")
    assert {"UG", "ZW", "DZ", "SS", "CF", "GQ", "AO", "BI"} <= set(rows)
    assert "GN" not in rows  # "Guinée-équatoriale" is not Guinea
    for code in ("ZW", "DZ", "SS", "CF", "GQ", "AO", "BI"):
        assert _f(rows[code][0], "list_after_first") == 1, code
    assert _f(rows["BI"][0], "list_position") == 1.0  # capped at four places


def test_passive_cue_and_title() -> None:
    # The cue is what the tagger sees: the small French model tags "convoqué" a participle (and
    # "expulsé" an adverb, so that one would be missed).
    text = (
        "L'ambassadeur de Russie convoqué\n\nL'ambassadeur de Russie a été convoqué par la France."
    )
    rows = _rows(text, "fr")
    ru = rows["RU"]
    assert [_f(r, "in_title") for r in ru] == [1.0, 0.0]
    assert _f(ru[1], "passive_in_sent") == 1
    # "a rencontré": a past tense with "avoir", no passive.
    active = _rows("La France a rencontré le Japon.", "fr")
    assert _f(active["FR"][0], "passive_in_sent") == 0


def test_parse_features_only_with_the_parser() -> None:
    text = "The US ambassador was expelled by Iran. Russia said it would respond."
    plain = _rows(text, "en")
    parsed = _rows(text, "en", parser=True)
    dep = [i for i, n in enumerate(FEATURES) if n.startswith("dep_")]
    assert all(r.features[i] == 0 for rs in plain.values() for r in rs for i in dep)
    assert _f(parsed["IR"][0], "dep_agent") == 1
    assert _f(parsed["RU"][0], "dep_subject") == 1
    assert _f(parsed["RU"][0], "dep_head_speech") == 1


def test_fit_learns_a_separable_cue_and_is_deterministic() -> None:
    # Pure function on made-up numbers: feature 0 decides the label, feature 1 is noise.
    rng = np.random.default_rng(3)
    x = np.column_stack([rng.integers(0, 2, 200), rng.normal(size=200)]).astype(np.float64)
    y = x[:, 0].copy()
    a, b = actormodel.fit(x, y), actormodel.fit(x, y)
    assert a == b
    p = a.proba(x)
    assert p[y == 1].min() > 0.5 > p[y == 0].max()
    assert abs(a.weights[0]) > 5 * abs(a.weights[1])


def test_country_probs_take_the_best_mention() -> None:
    model = actormodel.ActorModel(
        features=("a",), mean=(0.0,), scale=(1.0,), weights=(4.0,), bias=-2.0, threshold=0.5
    )
    rows = [MentionRow("FR", 0, (0.0,)), MentionRow("FR", 5, (1.0,)), MentionRow("DE", 9, (0.0,))]
    probs = model.country_probs(rows)
    assert probs["FR"] == pytest.approx(1 / (1 + np.exp(-2.0)))
    assert model.actors(rows) == {"FR"}


def test_stored_model_matches_the_features(tmp_path: Path) -> None:
    model = actormodel.load()
    assert model.features == FEATURES
    assert 0 < model.threshold < 1
    raw = json.loads(actormodel.MODEL_PATH.read_text(encoding="utf-8"))
    raw["features"] = raw["features"][:-1]
    other = tmp_path / "m.json"
    other.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(actormodel.ModelMismatch):
        actormodel.load(other)
    # The stored model calls only candidates actors: countries the enricher found.
    rows = _rows("Le ministre russe a reçu son homologue turc à Moscou.", "fr")
    flat = [r for rs in rows.values() for r in rs]
    assert model.actors(flat) <= set(rows)


def test_cv_data_never_holds_a_test_split() -> None:
    items = devdata.allowed_items()
    assert len(items) >= 150
    assert all(item.get("split") not in ("test", "val") for _, item in items)
    sources = {src for src, _ in items}
    assert sources == {
        "dev",
        "dev2",
        "heldout",
        "wave3-dev",
        "wave5-dev",
        "wave7-dev",
        "wave9-dev",
        "wave11-dev",
    }
    assert len(items) == 816
    assert {src for src, _ in devdata.allowed_items(later=())} == sources - {
        "wave5-dev",
        "wave7-dev",
        "wave9-dev",
        "wave11-dev",
    }
    old_test = {
        json.loads(line)["id"]
        for line in evaluate.SETS["test"].read_text(encoding="utf-8").splitlines()
        if line
    }
    assert not old_test & {item["id"] for _, item in items}


def test_folds_partition_documents() -> None:
    folds = devdata.folds_of(23, 5, seed=12)
    flat = sorted(i for f in folds for i in f)
    assert flat == list(range(23))
    assert max(len(f) for f in folds) - min(len(f) for f in folds) <= 1
    assert folds == devdata.folds_of(23, 5, seed=12)
