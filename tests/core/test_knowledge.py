"""The knowledge answers carry the content in full, with the right titles and refusals."""

from __future__ import annotations

import pytest

from bot.core.errors import InvalidRequest, UnknownAspect, UnknownSubject
from bot.core.knowledge import MAX_LISTED, Knowledge
from bot.core.lookup import Catalog
from bot.core.models import Content, Table
from bot.discord.render import markdown as md


def test_phase_answer(knowledge: Knowledge) -> None:
    answer = knowledge.phase("qa")
    assert answer.title == "Phase 5 of 8 · Testing"
    assert "Verify that the software meets the specified requirements" in md(answer.description)
    (activities,) = answer.fields
    assert md(activities.value).count("• ") == 3
    assert "Perform regression testing" in md(activities.value)
    assert answer.footer == "◀ 4 · Implementation (Coding) · 6 · Deployment ▶"


def test_first_and_last_phase_have_one_neighbour(knowledge: Knowledge) -> None:
    assert knowledge.phase("1").footer == "2 · Analysis ▶"
    assert knowledge.phase("8").footer == "◀ 7 · Maintenance and Support"


def test_phases_answer(knowledge: Knowledge, content: Content) -> None:
    answer = knowledge.phases()
    assert content.sdlc.sdlc.definition in md(answer.description)
    assert content.sdlc.sdlc.goal in md(answer.description)
    assert [f.name for f in answer.fields] == [f"{p.number} · {p.name}" for p in content.phases]
    assert [md(f.value) for f in answer.fields] == [p.objective for p in content.phases]


def test_compare_all_aspects(knowledge: Knowledge) -> None:
    answer = knowledge.compare("agile", "spiral")
    assert answer.title == "Agile vs Spiral"
    assert len(answer.fields) == 10
    flexibility = next(f for f in answer.fields if f.name == "Flexibility")
    assert md(flexibility.value) == "**Agile:** High\n**Spiral:** Moderate"


def test_compare_one_aspect(knowledge: Knowledge) -> None:
    answer = knowledge.compare("waterfall", "v model", "testing")
    assert answer.title == "Waterfall vs V-Model · Testing"
    assert [(f.name, md(f.value)) for f in answer.fields] == [
        ("Waterfall", "At the end of the development"),
        ("V-Model", "Parallel with development"),
    ]


def test_compare_mlops_devops(knowledge: Knowledge) -> None:
    answer = knowledge.compare("devops", "mlops", "tools")
    assert answer.title == "DevOps vs MLOps · Tools"


@pytest.mark.parametrize(
    ("first", "second", "aspect", "error", "words"),
    [
        ("agile", "agile", None, InvalidRequest, "both are Agile"),
        ("agile", "mlops", None, InvalidRequest, "different tables"),
        ("agle", "spiral", None, UnknownSubject, "Did you mean “Agile”"),
        ("agile", "spiral", "tools", UnknownAspect, "aspect of SDLC methodologies"),
    ],
)
def test_compare_refusals(
    knowledge: Knowledge,
    first: str,
    second: str,
    aspect: str | None,
    error: type[Exception],
    words: str,
) -> None:
    with pytest.raises(error) as caught:
        knowledge.compare(first, second, aspect)
    assert words in str(caught.value)


def test_methodology(knowledge: Knowledge) -> None:
    answer = knowledge.methodology("spiral")
    assert answer.title == "Spiral"
    assert len(answer.fields) == 10
    assert ("Risk Management", "Ongoing and adaptive") in [
        (f.name, md(f.value)) for f in answer.fields
    ]
    one = knowledge.methodology("waterfall", "flexibility")
    assert (one.title, md(one.description)) == ("Waterfall · Flexibility", "Low")


def test_methodology_refuses_mlops(knowledge: Knowledge) -> None:
    with pytest.raises(UnknownSubject):
        knowledge.methodology("mlops")


def test_mlops(knowledge: Knowledge) -> None:
    answer = knowledge.mlops()
    assert answer.title == "MLOps vs DevOps"
    assert len(answer.fields) == 12
    one = knowledge.mlops("testing")
    assert one.title == "MLOps vs DevOps · Testing"
    assert [md(f.value) for f in one.fields] == [
        "Involves model testing, validation, and monitoring for accuracy.",
        "Emphasizes code testing, unit testing, and system testing.",
    ]


@pytest.mark.parametrize(
    ("extra", "more"), [(0, ""), (1, "…and 1 more aspect."), (1250, "…and 1,250 more aspects.")]
)
def test_a_comparison_lists_at_most_max_listed_aspects(
    knowledge: Knowledge, extra: int, more: str
) -> None:
    table = knowledge.catalog.methodologies
    first = table.aspects[0]
    aspects = tuple(
        first.model_copy(update={"key": f"aspect-{i}", "name": f"Aspect {i}"})
        for i in range(MAX_LISTED + extra)
    )
    big = table.model_copy(update={"aspects": aspects})
    answer = knowledge.comparison_answer(big, big.subjects[1:3])
    names = [f.name for f in answer.fields]
    assert names[:MAX_LISTED] == [f"Aspect {i}" for i in range(MAX_LISTED)]
    if not extra:
        assert len(names) == MAX_LISTED
        return
    assert len(names) == MAX_LISTED + 1
    assert md(answer.fields[-1].value) == (
        f"{more} `/compare first:agile second:spiral aspect:<name>` shows one of them."
    )


def test_every_cut_list_says_how_to_see_one_entry(content: Content) -> None:
    def bigger(table: Table) -> Table:
        first = table.aspects[0]
        extra = tuple(
            first.model_copy(update={"key": f"aspect-{i}", "name": f"Aspect {i}"})
            for i in range(MAX_LISTED)
        )
        return table.model_copy(update={"aspects": table.aspects + extra})

    big = content.model_copy(update={"tables": tuple(bigger(t) for t in content.tables)})
    knowledge = Knowledge(Catalog(big))
    hints = {
        "mlops": md(knowledge.mlops().fields[-1].value),
        "methodology": md(knowledge.methodology("agile").fields[-1].value),
        "compare": md(knowledge.compare("waterfall", "v-model").fields[-1].value),
    }
    mlops_aspects = len(knowledge.catalog.mlops.aspects) - MAX_LISTED
    assert hints["mlops"] == (
        f"…and {mlops_aspects} more aspects. `/mlops aspect:<name>` shows one of them."
    )
    assert hints["methodology"].endswith(
        "more aspects. `/methodology name:agile aspect:<name>` shows one of them."
    )
    assert hints["compare"].endswith(
        "`/compare first:waterfall second:v-model aspect:<name>` shows one of them."
    )
