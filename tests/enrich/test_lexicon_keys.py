"""The word lists the person and joint-body rules used to hold in code live in the en/ and fr/
lexicon.json (enrich/kb/README.md): each module declares the keys it reads, reads exactly those,
and both languages' files carry them; a word added to a file changes what the rule finds."""

import ast
import inspect
import json
from types import ModuleType

import pytest

from diplowire.enrich import diplo, nlp
from diplowire.enrich import kb as kbmod
from diplowire.enrich.diplo import (
    actorfeatures,
    orgjoint,
    personacts,
    personlinks,
    personnames,
    personportfolio,
    persons,
    topics,
)

MODULES = (
    personacts,
    personportfolio,
    orgjoint,
    personlinks,
    personnames,
    persons,
    topics,
    actorfeatures,
)
# orgjoint's shape: a language lists its joint words before the head (en) or after it (fr); the
# after-head rule alone reads the keys of its French word order.
_BEFORE = ("joint_words_before_head",)
_AFTER = (
    "joint_words_after_head",
    "joint_name_openers",
    "joint_field_preps",
    "joint_field_nouns",
    "joint_between",
    "joint_and",
)


def _raw(lang: str) -> dict[str, object]:
    data: dict[str, object] = json.loads(
        (kbmod.KB_DIR / lang / "lexicon.json").read_text(encoding="utf-8")
    )
    return data


def _keys_read(module: ModuleType) -> set[str]:
    """String keys passed to ``lexicon_words`` in the module's source."""
    keys = set()
    for node in ast.walk(ast.parse(inspect.getsource(module))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "lexicon_words"
        ):
            arg = node.args[1]
            assert isinstance(arg, ast.Constant) and isinstance(arg.value, str), ast.dump(arg)
            keys.add(arg.value)
    return keys


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_module_reads_exactly_the_keys_it_declares(module: ModuleType) -> None:
    assert _keys_read(module) == set(module.LEXICON_KEYS)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_declared_keys_are_lower_case_word_lists_in_both_lexicons(lang: str) -> None:
    raw = _raw(lang)
    shape = _AFTER if "joint_words_after_head" in raw else _BEFORE
    other = _BEFORE if shape is _AFTER else _AFTER
    for module in MODULES:
        for key in module.LEXICON_KEYS:
            if key in other:
                assert key not in raw, (lang, key)
                continue
            words = raw.get(key)
            assert isinstance(words, list) and words, (lang, key)
            assert all(isinstance(w, str) and w == w.lower() for w in words), (lang, key)
            assert len(words) == len(set(words)), (lang, key)
            # Read through the loader, as the rules read them.
            assert kbmod.lexicon_words(lang, key) == frozenset(words), (lang, key)
    assert _raw("en").keys() >= set(_BEFORE) and _raw("fr").keys() >= set(_AFTER)


def test_joint_body_rule_follows_the_lexicon(monkeypatch: pytest.MonkeyPatch) -> None:
    """A joint word is data: "paritaire" added to fr/ makes a joint body, "mixte" removed
    from it unmakes one, with no code change."""
    pipeline = nlp.load("fr")
    assert pipeline is not None
    text = (
        "La commission mixte de coopération entre le Sénégal et la Gambie s'est réunie à Dakar, "
        "et la commission paritaire sénégalaise a siégé le lendemain."
    )

    def names() -> set[str]:
        facts = diplo.analyze(pipeline(text), "fr")
        return {o.name for o in facts.organizations}

    before = names()
    assert any(n.startswith("commission mixte") for n in before), before
    assert not any("paritaire" in n for n in before), before
    real = kbmod.lexicon_words

    def edited(lang: str, key: str) -> frozenset[str]:
        if (lang, key) == ("fr", "joint_words_after_head"):
            return (real(lang, key) - {"mixte"}) | {"paritaire"}
        return real(lang, key)

    monkeypatch.setattr(kbmod, "lexicon_words", edited)
    after = names()
    assert any(n.startswith("commission paritaire") for n in after), after
    assert not any("mixte" in n for n in after), after
