"""Issue 12's organisation matching in ``eval.evaluate``: a gold name matches an entity by its
canonical key or by one of the entity's name/mention forms, one to one."""

from eval.evaluate import org_counts, org_form


def test_a_state_less_gold_name_matches_the_entity_whose_mention_it_is() -> None:
    forms = {"mfa:IR": {org_form("Iran's foreign ministry"), org_form("the foreign ministry")}}
    assert org_counts({"mfa:IR"}, forms, ["foreign ministry"], "en") == (1, 0, 0)


def test_without_the_form_it_is_a_miss_and_a_false_entity() -> None:
    forms = {"mfa:IR": {org_form("Iran's foreign ministry")}}
    assert org_counts({"mfa:IR"}, forms, ["foreign ministry"], "en") == (0, 1, 1)


def test_one_entity_matches_one_gold_name() -> None:
    forms = {"mfa:IR": {"foreign ministry", "ministry of foreign affairs"}}
    tp, fp, fn = org_counts({"mfa:IR"}, forms, ["foreign ministry", "trade ministry"], "en")
    assert (tp, fp, fn) == (1, 0, 1)


def test_gold_names_with_one_key_count_once() -> None:
    # "ONU" and "Nations unies" are one organisation in the KB.
    tp, fp, fn = org_counts(set(), {}, ["ONU", "Nations unies"], "fr")
    assert (tp, fp, fn) == (0, 0, 1)


def test_org_form_drops_a_leading_article_and_case() -> None:
    assert org_form("The  Foreign Ministry") == "foreign ministry"
    assert org_form("l’ambassade de France") == "ambassade de france"
