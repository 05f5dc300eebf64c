"""Tense and list cues of the actor classifier (``enrich/diplo/actorcues.py``, eval/LABELLING.md
P5 and P3) on real sentences through the real spaCy models: before them, a planned visit and a
visit told as done gave the same feature vector."""

from __future__ import annotations

from diplowire.enrich import diplo, nlp
from diplowire.enrich.diplo.actorcues import list_lengths
from diplowire.enrich.diplo.actorfeatures import INDEX, MentionRow, mention_rows


def _rows(text: str, lang: str) -> dict[str, list[MentionRow]]:
    pipeline = nlp.load(lang)
    assert pipeline is not None
    doc = pipeline(text)
    out: dict[str, list[MentionRow]] = {}
    for row in mention_rows(doc, lang, diplo.analyze(doc, lang, learned_actors=False)):
        out.setdefault(row.code, []).append(row)
    return out


def _f(row: MentionRow, name: str) -> float:
    return row.features[INDEX[name]]


def test_done_and_planned_visits_differ_en() -> None:
    done = _rows(
        "Japan's foreign minister met his Indian counterpart in New Delhi on Monday.", "en"
    )
    planned = _rows("Japan's foreign minister will visit India next month for talks.", "en")
    assert _f(done["JP"][0], "sent_past") == 1
    assert _f(planned["JP"][0], "sent_past") == 0
    assert _f(planned["IN"][0], "sent_present") == 0  # "will visit": no finite present either


def test_done_and_planned_visits_differ_fr() -> None:
    done = _rows("Le président français a rencontré son homologue brésilien à Brasilia.", "fr")
    planned = _rows("Le président français doit se rendre au Brésil la semaine prochaine.", "fr")
    assert _f(done["FR"][0], "sent_past") == 1
    assert _f(planned["FR"][0], "sent_past") == 0
    assert _f(planned["FR"][0], "sent_present") == 1  # "doit"


def test_list_length_counts_the_enumeration() -> None:
    rows = _rows(
        "Leaders of Brazil, India, China and South Africa attended; Canada said nothing.", "en"
    )
    assert _f(rows["IN"][0], "list_length") == _f(rows["BR"][0], "list_length") == 4 / 6
    assert _f(rows["CA"][0], "list_length") == 0
    # Pure function: a run is a mention plus the ones continuing it, states counted once.
    assert list_lengths(["A", "B", "A", "C"], [0, 2, 4, 9], [False, True, True, False]) == [
        2 / 6,
        2 / 6,
        2 / 6,
        0.0,
    ]


def test_an_enumeration_that_repeats_its_genitive_is_one_list() -> None:
    # "de l'Argentine, du Chili ... et de l'Uruguay": before, the genitive before each state cut
    # the run, so the seven states told to withdraw their diplomats were judged one by one.
    fr = _rows(
        "Le Venezuela a demandé aux gouvernements de l'Argentine, du Chili, du Pérou et de "
        "l'Uruguay de retirer leur personnel diplomatique.",
        "fr",
    )
    assert all(_f(fr[c][0], "in_list") == 1 for c in ("AR", "CL", "PE", "UY"))
    assert _f(fr["UY"][0], "list_length") == 4 / 6 and _f(fr["VE"][0], "in_list") == 0
    en = _rows("The foreign ministers of France, of Germany and of Italy visited Tripoli.", "en")
    assert _f(en["IT"][0], "list_position") == 2 / 4 and _f(en["DE"][0], "list_after_first") == 1
    # Genitives with other words between them are two phrases, not one list.
    two = _rows("The president of France and the prime minister of Japan spoke.", "en")
    assert _f(two["JP"][0], "in_list") == 0 == _f(two["FR"][0], "in_list")
