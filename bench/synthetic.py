"""Synthetic content packs: the bundled content plus generated entries, ``factor`` times as many.

``write_pack(directory, factor)`` writes ``sdlc.toml``, ``methodologies.toml``,
``mlops.toml`` and ``aliases.toml`` that :func:`bot.core.content.load_content` accepts,
and copies the bundled ``vocabulary.toml`` (its words mean words every pack has).
The bundled entries stay (so real questions and prefixes still mean what they mean);
generated ones are added until every list is ``factor`` times its bundled length:

* phases (each with 3-5 activities, like the bundled ones), numbered after the 8 real ones;
* aspects of both tables, each with a value for every subject;
* aliases of phases, subjects and aspects.

The tables' subjects (the columns: 4 methodologies, MLOps and DevOps) are not multiplied:
every aspect needs a value for every subject, so multiplying both would grow the
tables' cells with the square of the factor. Names, objectives, activities and values
are made of the bundled content's own words (a fixed seed), so typing, prefixes and
questions overlap with generated entries the way they would in a real, larger pack.
"""

from __future__ import annotations

import random
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BUNDLED = Path(__file__).resolve().parent.parent / "content"
_WORD = re.compile(r"[a-z]+")


@dataclass(frozen=True)
class PackSize:
    factor: int
    phases: int
    activities: int
    aspects: int
    aliases: int
    subjects: int

    @property
    def entries(self) -> int:
        return self.phases + self.activities + self.aspects + self.aliases + self.subjects


def _load(name: str) -> dict[str, Any]:
    return tomllib.loads((BUNDLED / name).read_text(encoding="utf-8"))


def _q(text: str) -> str:
    """A TOML basic string (the generated text has no quotes or backslashes)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _normal(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


class _Words:
    def __init__(self, rng: random.Random, texts: list[str]) -> None:
        found: list[str] = []
        for text in texts:
            found += [w for w in _WORD.findall(text.lower()) if len(w) >= 3]
        self.pool = sorted(set(found))
        self.rng = rng

    def pick(self, n: int) -> list[str]:
        return [self.rng.choice(self.pool) for _ in range(n)]

    def sentence(self, lo: int, hi: int) -> str:
        words = self.pick(self.rng.randint(lo, hi))
        return " ".join(words).capitalize() + "."

    def title(self, n: int) -> str:
        return " ".join(w.capitalize() for w in self.pick(n))


def write_pack(directory: Path, factor: int, seed: int = 7) -> PackSize:
    """Write a content pack ``factor`` times the bundled one into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    sdlc = _load("sdlc.toml")
    tables = {name: _load(name) for name in ("methodologies.toml", "mlops.toml")}
    aliases = _load("aliases.toml")

    texts = [sdlc["sdlc"][k] for k in ("definition", "goal", "overview")]
    for phase in sdlc["phases"]:
        texts += [phase["name"], phase["objective"], *(a["text"] for a in phase["activities"])]
    for table in tables.values():
        for aspect in table["aspects"]:
            texts += [aspect["name"], *aspect["values"].values()]
    words = _Words(rng, texts)

    # -- phases ---------------------------------------------------------------------------
    phases = list(sdlc["phases"])
    phase_claims = {_normal(p[f]) for p in phases for f in ("key", "name")}
    phase_aliases = dict(aliases.get("phases", {}))
    phase_claims |= {_normal(a) for a in phase_aliases}
    target_phases = len(phases) * factor
    activities = sum(len(p["activities"]) for p in phases)
    n = 0
    while len(phases) < target_phases:
        n += 1
        name = f"{words.title(2)} {n}"
        key = "-".join(_WORD.findall(name.lower())) + f"-{n}"
        if _normal(name) in phase_claims or _normal(key) in phase_claims:
            continue
        phase_claims |= {_normal(name), _normal(key)}
        acts = [
            {"key": f"step-{j + 1}", "text": words.sentence(4, 10)}
            for j in range(rng.randint(3, 5))
        ]
        activities += len(acts)
        phases.append(
            {
                "number": len(phases) + 1,
                "key": key,
                "name": name,
                "objective": words.sentence(6, 12),
                "activities": acts,
            }
        )
    keys = [p["key"] for p in phases]
    target = len(aliases.get("phases", {})) * factor
    while len(phase_aliases) < target:
        alias = f"{' '.join(words.pick(rng.randint(1, 2)))} {rng.randint(1, 10 * target)}"
        if _normal(alias) in phase_claims:
            continue
        phase_claims.add(_normal(alias))
        phase_aliases[alias] = rng.choice(keys)

    # -- tables -----------------------------------------------------------------------------
    aspect_aliases: dict[str, dict[str, str]] = {}
    aspects_total = 0
    subjects_total = 0
    for table in tables.values():
        tkey = table["table"]["key"]
        subjects = [s["key"] for s in table["subjects"]]
        subjects_total += len(subjects)
        aspects = list(table["aspects"])
        claims = {_normal(a[f]) for a in aspects for f in ("key", "name")}
        group = dict(aliases.get("aspects", {}).get(tkey, {}))
        claims |= {_normal(a) for a in group}
        goal = len(aspects) * factor
        m = 0
        while len(aspects) < goal:
            m += 1
            name = f"{words.title(rng.randint(1, 3))} {m}"
            key = "-".join(_WORD.findall(name.lower())) + f"-{m}"
            if _normal(name) in claims or _normal(key) in claims:
                continue
            claims |= {_normal(name), _normal(key)}
            values = {s: words.sentence(1, 6).rstrip(".") for s in subjects}
            aspects.append({"key": key, "name": name, "values": values})
        table["aspects"] = aspects
        aspects_total += len(aspects)
        akeys = [a["key"] for a in aspects]
        goal = len(group) * factor
        while len(group) < goal:
            alias = f"{' '.join(words.pick(rng.randint(1, 2)))} {rng.randint(1, 10 * goal)}"
            if _normal(alias) in claims:
                continue
            claims.add(_normal(alias))
            group[alias] = rng.choice(akeys)
        aspect_aliases[tkey] = group

    subject_aliases = dict(aliases.get("subjects", {}))
    subject_claims = {
        _normal(s[f]) for t in tables.values() for s in t["subjects"] for f in ("key", "name")
    } | {_normal(a) for a in subject_aliases}
    subject_keys = [s["key"] for t in tables.values() for s in t["subjects"]]
    goal = len(subject_aliases) * factor
    while len(subject_aliases) < goal:
        alias = f"{' '.join(words.pick(rng.randint(1, 2)))} {rng.randint(1, 10 * goal)}"
        if _normal(alias) in subject_claims:
            continue
        subject_claims.add(_normal(alias))
        subject_aliases[alias] = rng.choice(subject_keys)

    # -- write ------------------------------------------------------------------------------
    out = ["[sdlc]"]
    out += [f"{k} = {_q(v)}" for k, v in sdlc["sdlc"].items()]
    for phase in phases:
        out += [
            "",
            "[[phases]]",
            f"number = {phase['number']}",
            f"key = {_q(phase['key'])}",
            f"name = {_q(phase['name'])}",
            f"objective = {_q(phase['objective'])}",
            "activities = [",
            *(
                f"  {{ key = {_q(a['key'])}, text = {_q(a['text'])} }},"
                for a in phase["activities"]
            ),
            "]",
        ]
    (directory / "sdlc.toml").write_text("\n".join(out) + "\n", encoding="utf-8")

    for file, table in tables.items():
        out = [
            "[table]",
            f"key = {_q(table['table']['key'])}",
            f"title = {_q(table['table']['title'])}",
        ]
        for subject in table["subjects"]:
            out += ["", "[[subjects]]"]
            out += [
                f"{k} = {str(v).lower() if isinstance(v, bool) else _q(v)}"
                for k, v in subject.items()
            ]
        for aspect in table["aspects"]:
            values = ", ".join(f"{k} = {_q(v)}" for k, v in aspect["values"].items())
            out += [
                "",
                "[[aspects]]",
                f"key = {_q(aspect['key'])}",
                f"name = {_q(aspect['name'])}",
                f"values = {{ {values} }}",
            ]
        (directory / file).write_text("\n".join(out) + "\n", encoding="utf-8")

    out = ["[phases]"]
    out += [f"{_q(a)} = {_q(k)}" for a, k in phase_aliases.items()]
    out += ["", "[subjects]"]
    out += [f"{_q(a)} = {_q(k)}" for a, k in subject_aliases.items()]
    for tkey, group in aspect_aliases.items():
        out += ["", f"[aspects.{tkey}]"]
        out += [f"{_q(a)} = {_q(k)}" for a, k in group.items()]
    (directory / "aliases.toml").write_text("\n".join(out) + "\n", encoding="utf-8")
    vocabulary = BUNDLED / "vocabulary.toml"  # /ask's everyday words, as they are
    if vocabulary.is_file():
        (directory / vocabulary.name).write_text(vocabulary.read_text("utf-8"), "utf-8")

    alias_total = len(phase_aliases) + len(subject_aliases)
    alias_total += sum(len(g) for g in aspect_aliases.values())
    return PackSize(factor, len(phases), activities, aspects_total, alias_total, subjects_total)


def sample_names(directory: Path, rng: random.Random, n: int) -> dict[str, list[str]]:
    """Generated phase and aspect names of a pack, for queries that hit generated entries."""
    sdlc = tomllib.loads((directory / "sdlc.toml").read_text(encoding="utf-8"))
    meth = tomllib.loads((directory / "methodologies.toml").read_text(encoding="utf-8"))
    phases = [p["name"] for p in sdlc["phases"][8:]] or [p["name"] for p in sdlc["phases"]]
    aspects = [a["name"] for a in meth["aspects"][10:]] or [a["name"] for a in meth["aspects"]]
    return {
        "phases": [rng.choice(phases) for _ in range(n)],
        "aspects": [rng.choice(aspects) for _ in range(n)],
    }
