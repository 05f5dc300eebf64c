"""Diplomatic facts from a spaCy Doc: countries (actors vs places), dyads, officials, organisations
and topics.

``configure`` adds one component, ``diplo_kb``, to a language's pipeline: a PhraseMatcher fed by
the knowledge base in ``enrich/kb/<lang>/`` that stores its hits in ``doc.spans["diplo"]`` (so they
survive ``nlp.pipe(n_process>1)``). ``analyze`` then combines those hits with the statistical NER
and the POS tags through cheap, local rules; it needs no parser. Every language-specific word the
rules look at comes from the KB (``lexicon.json``), so adding a language is adding data.

One module per stage of the analysis: ``matcher`` (the component), ``context`` (the per-document
view every rule reads), ``countries``, ``organisations``, ``persons``, ``topics``, and
``facts`` (the entry point, ``analyze``, that combines them).
"""

from diplowire.enrich.diplo.facts import DiploFacts, analyze, iso_day
from diplowire.enrich.diplo.matcher import COMPONENT, SPAN_KEY, NotConfigured, configure
from diplowire.enrich.diplo.organisations import org_key

__all__ = [
    "COMPONENT",
    "SPAN_KEY",
    "DiploFacts",
    "NotConfigured",
    "analyze",
    "configure",
    "iso_day",
    "org_key",
]
