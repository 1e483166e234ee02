"""Lookup by key, alias, number, name, prefix; typos get "did you mean"; autocomplete order."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.content import load_content
from bot.core.errors import UnknownAspect, UnknownPhase, UnknownSubject
from bot.core.lookup import MAX_CHOICES, MAX_LISTED, Catalog
from bot.core.models import Activity, Content, Phase


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("testing", "testing"),  # key
        ("Testing", "testing"),  # case
        ("qa", "testing"),  # alias
        ("test", "testing"),
        ("coding", "implementation"),
        ("release", "deployment"),
        ("support", "maintenance"),
        ("phase-out", "retirement"),
        ("decommission", "retirement"),
        ("5", "testing"),  # number
        ("phase 8", "retirement"),
        ("Implementation (Coding)", "implementation"),  # name
        ("Maintenance and Support", "maintenance"),
        ("Retirement/Phase-out", "retirement"),
        ("impl", "implementation"),  # unique prefix
        ("ana", "analysis"),
    ],
)
def test_phase_lookup(catalog: Catalog, query: str, key: str) -> None:
    assert catalog.phase(query).key == key


def test_phase_typo_suggests(catalog: Catalog) -> None:
    with pytest.raises(UnknownPhase) as caught:
        catalog.phase("tetsing")
    assert "Testing" in caught.value.suggestions
    assert "Did you mean “Testing”" in caught.value.user_message()


def test_phase_number_out_of_range(catalog: Catalog) -> None:
    with pytest.raises(UnknownPhase) as caught:
        catalog.phase("9")
    assert caught.value.user_message() == "There is no phase 9: the phases are numbered 1 to 8."


def test_nonsense_phase_has_no_wrong_answer(catalog: Catalog) -> None:
    with pytest.raises(UnknownPhase):
        catalog.phase("zzzz")


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("agile", "agile"),
        ("V-Model", "v-model"),
        ("v model", "v-model"),
        ("vmodel", "v-model"),
        ("ml ops", "mlops"),
        ("DevOps", "devops"),
        ("scrum", "agile"),
        ("spi", "spiral"),
    ],
)
def test_subject_lookup(catalog: Catalog, query: str, key: str) -> None:
    assert catalog.subject(query).key == key


def test_subject_typo_suggests(catalog: Catalog) -> None:
    with pytest.raises(UnknownSubject) as caught:
        catalog.subject("agle")
    assert caught.value.suggestions == ("Agile",)


def test_subject_limited_to_a_table(catalog: Catalog) -> None:
    with pytest.raises(UnknownSubject) as caught:
        catalog.subject("mlops", catalog.methodologies)
    assert set(caught.value.suggestions) <= {"Waterfall", "Agile", "Spiral", "V-Model"}


@pytest.mark.parametrize(
    ("table", "query", "key"),
    [
        ("methodologies", "risk", "risk-management"),
        ("methodologies", "Client Involvement", "client-involvement"),
        ("methodologies", "docs", "documentation"),
        ("methodologies", "flex", "flexibility"),
        ("mlops", "artifacts", "nature-of-artifacts"),
        ("mlops", "testing", "testing"),
        ("mlops", "goal", "primary-goal"),
    ],
)
def test_aspect_lookup(catalog: Catalog, table: str, query: str, key: str) -> None:
    found = catalog.content.table(table)
    assert found is not None
    assert catalog.aspect(found, query).key == key


def test_aspect_of_the_wrong_table(catalog: Catalog) -> None:
    with pytest.raises(UnknownAspect) as caught:
        catalog.aspect(catalog.methodologies, "tools")
    assert "aspect of SDLC methodologies" in caught.value.user_message()


def test_phase_autocomplete_best_first(catalog: Catalog) -> None:
    assert [c.value for c in catalog.complete_phase("")] == [p.key for p in catalog.phases]
    assert catalog.complete_phase("te")[0].value == "testing"
    assert catalog.complete_phase("QA")[0].value == "testing"
    assert [c.value for c in catalog.complete_phase("3")] == ["design"]
    assert catalog.complete_phase("dep")[0].label == "6 · Deployment"
    assert catalog.complete_phase("tetsing")[0].value == "testing"


def test_autocomplete_is_capped(catalog: Catalog) -> None:
    assert len(catalog.complete_aspect(catalog.mlops, "")) == 12 <= MAX_CHOICES
    assert [c.value for c in catalog.complete_subject("", catalog.mlops)] == ["mlops", "devops"]


def test_long_names_make_short_labels(content_copy: Path) -> None:
    long_name = "Flexibility " + "and adaptability " * 10
    toml = content_copy / "methodologies.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace('name = "Flexibility"', f'name = "{long_name}"'),
        encoding="utf-8",
    )
    catalog = Catalog(load_content(content_copy))
    (choice,) = catalog.complete_aspect(catalog.methodologies, "flexib")
    assert len(choice.label) == 100 and choice.label.endswith("…")
    assert choice.value == "flexibility"


# -- suggestions only when close; otherwise what there is ---------------------------------


def test_a_typo_suggests_only_what_is_close(catalog: Catalog) -> None:
    with pytest.raises(UnknownPhase) as caught:
        catalog.phase("tset")  # 'test' swapped; 'sunset' (Retirement) is not close
    assert caught.value.suggestions == ("Testing",)
    assert (
        caught.value.user_message() == "I don't know a phase called “tset”. Did you mean “Testing”?"
    )


@pytest.mark.parametrize("query", ["🚀", "zzzz", "?!", "nowhere"])
def test_nothing_close_lists_the_phases(catalog: Catalog, query: str) -> None:
    with pytest.raises(UnknownPhase) as caught:
        catalog.phase(query)
    assert caught.value.suggestions == ()
    names = ", ".join(p.name for p in catalog.phases)
    assert caught.value.user_message() == (
        f"I don't know a phase called “{query}”. Nothing is close; I know {names}."
    )


def test_an_unknown_aspect_lists_the_aspects(catalog: Catalog) -> None:
    with pytest.raises(UnknownAspect) as caught:
        catalog.aspect(catalog.mlops, "nowhere")
    message = caught.value.user_message()
    assert message.startswith("I don't know an aspect of MLOps vs DevOps called “nowhere”.")
    assert message.endswith(
        "Nothing is close; I know Focus, Primary Goal, Nature of Artifacts, Integration, "
        "Iterations, Testing, Tools, Metrics, Collaboration, Environment, Challenges, Examples."
    )
    with pytest.raises(UnknownAspect) as caught:
        catalog.aspect(catalog.mlops, "tols")
    assert caught.value.suggestions == ("Tools",)
    assert "Nothing is close" not in caught.value.user_message()


def test_a_subject_of_another_table_is_not_a_suggestion(catalog: Catalog) -> None:
    with pytest.raises(UnknownSubject) as caught:
        catalog.subject("mlops", catalog.methodologies)
    assert caught.value.suggestions == ()
    assert caught.value.user_message().endswith(
        "Nothing is close; I know Waterfall, Agile, Spiral, V-Model."
    )


def _many_phases(content: Content, extra: int) -> Content:
    phases = list(content.phases)
    for i in range(extra):
        number = len(phases) + 1
        phases.append(
            Phase(
                number=number,
                key=f"extra-{i}",
                name=f"Extra Stage {i}",
                objective="Made up.",
                activities=(Activity(key="work", text="Work."),),
            )
        )
    return content.model_copy(
        update={"sdlc": content.sdlc.model_copy(update={"phases": tuple(phases)})}
    )


def test_a_long_list_names_the_first_and_counts_the_rest(content: Content) -> None:
    catalog = Catalog(_many_phases(content, 1000))
    with pytest.raises(UnknownPhase) as caught:
        catalog.phase("🚀")
    assert caught.value.known == tuple(p.name for p in catalog.phases[:MAX_LISTED])
    assert caught.value.user_message().endswith(f"Extra Stage 3 and {1008 - MAX_LISTED} more.")


def test_typos_are_found_among_many_names(content: Content) -> None:
    catalog = Catalog(_many_phases(content, 1000))
    assert catalog.complete_phase("tetsing")[0].value == "testing"
    assert catalog.complete_phase("extra stgae 777")[0].value == "extra-777"
    with pytest.raises(UnknownPhase) as caught:
        catalog.phase("deploymnet")
    assert caught.value.suggestions == ("Deployment",)
