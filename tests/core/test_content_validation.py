"""Each content problem is reported with its file, entry and field; all at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.content import load_content
from bot.core.errors import ContentError


def _edit(directory: Path, name: str, old: str, new: str) -> None:
    path = directory / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _problems(directory: Path) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_content(directory)
    return list(caught.value.problems)


def test_bundled_content_is_valid(content_copy: Path) -> None:
    content = load_content(content_copy)
    assert len(content.phases) == 8


def test_missing_field_names_file_entry_and_field(content_copy: Path) -> None:
    _edit(
        content_copy,
        "sdlc.toml",
        'objective = "Create a blueprint for the software architecture."\n',
        "",
    )
    assert _problems(content_copy) == [
        "sdlc.toml: entry phases[3] (key 'design'), field 'objective': Field required"
    ]


def test_missing_activity_text(content_copy: Path) -> None:
    _edit(
        content_copy,
        "sdlc.toml",
        '{ key = "fix-bugs", text = "Identify and fix bugs and issues." }',
        '{ key = "fix-bugs" }',
    )
    (problem,) = _problems(content_copy)
    assert problem.startswith(
        "sdlc.toml: entry phases[5] (key 'testing').activities[2] (key 'fix-bugs')"
    )
    assert "field 'text'" in problem


def test_duplicate_phase_key(content_copy: Path) -> None:
    _edit(content_copy, "sdlc.toml", 'key = "analysis"', 'key = "planning"')
    first, *rest = _problems(content_copy)
    assert first == "sdlc.toml: entry phases[2], field 'key': duplicate phase key 'planning'"
    # ...and the aliases of the phase that lost its key are reported too, in the same run.
    assert rest and all("points to 'analysis', which does not exist" in p for p in rest)


def test_duplicate_activity_key(content_copy: Path) -> None:
    _edit(content_copy, "sdlc.toml", 'key = "notify-users"', 'key = "archive-data"')
    assert _problems(content_copy) == [
        "sdlc.toml: entry phases[8] (key 'retirement').activities[2], field 'key': "
        "duplicate activity key 'archive-data'"
    ]


def test_phase_numbers_in_order(content_copy: Path) -> None:
    _edit(content_copy, "sdlc.toml", "number = 6", "number = 9")
    (problem,) = _problems(content_copy)
    assert problem.startswith("sdlc.toml: entry phases[6] (key 'deployment'), field 'number'")


def test_methodology_missing_an_aspect(content_copy: Path) -> None:
    _edit(
        content_copy,
        "methodologies.toml",
        ', spiral = "Moderate", v-model = "Moderate" }',
        ', v-model = "Moderate" }',
    )
    assert _problems(content_copy) == [
        "methodologies.toml: entry aspects[2] (key 'flexibility'), field 'values': "
        "no value for subject 'spiral'"
    ]


def test_value_for_unknown_subject(content_copy: Path) -> None:
    _edit(
        content_copy,
        "mlops.toml",
        'devops = "Jenkins, Docker, Ansible, Kubernetes." }',
        'devops = "Jenkins, Docker, Ansible, Kubernetes.", finops = "x" }',
    )
    assert _problems(content_copy) == [
        "mlops.toml: entry aspects[12] (key 'examples'), field 'values': "
        "'finops' is not a subject of this table"
    ]


def test_alias_pointing_nowhere(content_copy: Path) -> None:
    _edit(content_copy, "aliases.toml", 'qa = "testing"', 'qa = "quality"')
    assert _problems(content_copy) == [
        "aliases.toml: entry phases, field 'qa': points to 'quality', which does not exist"
    ]


def test_alias_claimed_twice(content_copy: Path) -> None:
    _edit(content_copy, "aliases.toml", 'qa = "testing"', 'qa = "testing"\nQA = "design"')
    assert _problems(content_copy) == [
        "aliases.toml: entry phases, field 'QA': claimed twice, also by 'qa' for 'testing'"
    ]


def test_alias_taking_another_entrys_name(content_copy: Path) -> None:
    _edit(content_copy, "aliases.toml", 'qa = "testing"', 'qa = "testing"\ndesign = "testing"')
    assert _problems(content_copy) == [
        "aliases.toml: entry phases, field 'design': is already the name of 'design', "
        "cannot point to 'testing'"
    ]


def test_bad_key_format(content_copy: Path) -> None:
    _edit(content_copy, "methodologies.toml", 'key = "v-model"', 'key = "V Model"')
    problems = _problems(content_copy)
    assert problems[0].startswith(
        "methodologies.toml: entry subjects[4] (key 'V Model'), field 'key': String should match"
    )


def test_missing_file_and_broken_toml_reported_together(content_copy: Path) -> None:
    (content_copy / "mlops.toml").unlink()
    (content_copy / "aliases.toml").write_text("[phases\n", encoding="utf-8")
    problems = _problems(content_copy)
    assert problems[0] == "mlops.toml: file is missing"
    assert problems[1].startswith("aliases.toml: not valid TOML")


def test_unknown_field_is_refused(content_copy: Path) -> None:
    _edit(content_copy, "sdlc.toml", 'name = "Testing"', 'name = "Testing"\nowner = "qa team"')
    assert _problems(content_copy) == [
        "sdlc.toml: entry phases[5] (key 'testing'), field 'owner': Extra inputs are not permitted"
    ]


def test_every_problem_in_one_run(content_copy: Path) -> None:
    _edit(content_copy, "sdlc.toml", 'key = "notify-users"', 'key = "archive-data"')
    _edit(content_copy, "sdlc.toml", "number = 6", "number = 9")
    _edit(
        content_copy,
        "methodologies.toml",
        ', spiral = "Moderate", v-model = "Moderate" }',
        ', v-model = "Moderate" }',
    )
    _edit(content_copy, "aliases.toml", 'qa = "testing"', 'qa = "quality"')
    _edit(content_copy, "mlops.toml", 'name = "Focus"', 'name = ""')
    problems = _problems(content_copy)
    assert sorted(p.split(":")[0] for p in problems) == [
        "aliases.toml",
        "methodologies.toml",
        "mlops.toml",
        "sdlc.toml",
        "sdlc.toml",
    ], problems


def test_keys_project_tracking_relies_on_are_required(content_copy: Path) -> None:
    _edit(content_copy, "sdlc.toml", 'key = "deployment"', 'key = "release"')
    _edit(content_copy, "aliases.toml", 'release = "deployment"\n', "")
    _edit(content_copy, "aliases.toml", 'deploy = "deployment"\n', 'deploy = "release"\n')
    _edit(content_copy, "aliases.toml", 'rollout = "deployment"\n', "")
    _edit(content_copy, "methodologies.toml", 'key = "waterfall"', 'key = "cascade"')
    _edit(content_copy, "methodologies.toml", "waterfall = ", "cascade = ")
    problems = _problems(content_copy)
    assert (
        "sdlc.toml: entry phases: no phase with key 'deployment' (project tracking needs it)"
        in problems
    )
    assert any(
        p.startswith("methodologies.toml: entry subjects: no subject with key 'waterfall'")
        for p in problems
    )
