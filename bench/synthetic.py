"""Synthetic content packs: the bundled content plus generated entries, ``factor`` times as many.

``write_pack(directory, factor)`` writes ``sdlc.toml``, ``methodologies.toml``,
``mlops.toml`` and ``aliases.toml`` that :func:`bot.core.content.load_content` accepts,
and copies the bundled ``vocabulary.toml`` (its words mean words every pack has).
The bundled entries stay (so real questions and prefixes still mean what they mean);
generated ones are added until every list is ``factor`` times its bundled length:
phases (each with 3-5 activities), aspects of both tables (a value for every subject),
and aliases of phases, subjects and aspects. The tables' subjects (4 methodologies,
MLOps and DevOps) are not multiplied: every aspect needs a value for every subject, so
the cells would grow with the square of the factor. Names and texts are made of the
bundled content's own words (a fixed seed), so what users type overlaps generated
entries as it would in a real, larger pack.
"""

from __future__ import annotations

import random
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BUNDLED = Path(__file__).resolve().parent.parent / "content"
_WORD = re.compile(r"[a-z]+")


@dataclass(frozen=True)
class PackSize:
    entries: int


def _normal(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(map(_toml, value)) + "]"
    return "{ " + ", ".join(f"{_toml(k)} = {_toml(v)}" for k, v in value.items()) + " }"


def _section(header: str, values: dict[str, Any]) -> str:
    return "\n".join([header, *(f"{_toml(k)} = {_toml(v)}" for k, v in values.items())])


def write_pack(directory: Path, factor: int, seed: int = 7) -> PackSize:
    """Write a content pack ``factor`` times the bundled one into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    load = lambda name: tomllib.loads((BUNDLED / name).read_text("utf-8"))  # noqa: E731
    sdlc, aliases = load("sdlc.toml"), load("aliases.toml")
    tables = {name: load(name) for name in ("methodologies.toml", "mlops.toml")}

    texts = [sdlc["sdlc"][k] for k in ("definition", "goal", "overview")]
    for phase in sdlc["phases"]:
        texts += [phase["name"], phase["objective"], *(a["text"] for a in phase["activities"])]
    for table in tables.values():
        for aspect in table["aspects"]:
            texts += [aspect["name"], *aspect["values"].values()]
    pool = sorted({w for t in texts for w in _WORD.findall(t.lower()) if len(w) >= 3})
    words = lambda n: [rng.choice(pool) for _ in range(n)]  # noqa: E731
    sentence = lambda lo, hi: " ".join(words(rng.randint(lo, hi))).capitalize() + "."  # noqa: E731

    def grow(entries: list[Any], claims: set[str], goal: int, make: Callable[[int], Any]) -> None:
        """Add entries until there are ``goal``: ``make(n)`` gives names and a function
        that builds the entry, called only if none of the names is claimed already."""
        n = 0
        while len(entries) < goal:
            n += 1
            names, build = make(n)
            if not any(_normal(x) in claims for x in names):
                claims.update(_normal(x) for x in names)
                entries.append(build())

    def alias_of(targets: list[str], goal: int) -> Callable[[int], Any]:
        def make(n: int) -> Any:
            alias = f"{' '.join(words(rng.randint(1, 2)))} {rng.randint(1, 10 * goal)}"
            return (alias,), lambda: (alias, rng.choice(targets))

        return make

    def titled(n: int, count: int) -> tuple[str, str]:
        name = f"{' '.join(w.capitalize() for w in words(count))} {n}"
        return name, "-".join(_WORD.findall(name.lower())) + f"-{n}"

    def new_phase(n: int) -> Any:
        name, key = titled(n, 2)

        def build() -> dict[str, Any]:
            count = rng.randint(3, 5)
            acts = [{"key": f"step-{j + 1}", "text": sentence(4, 10)} for j in range(count)]
            phase = {"number": 0, "key": key, "name": name, "objective": sentence(6, 12)}
            return phase | {"activities": acts}

        return (name, key), build

    phases = list(sdlc["phases"])
    claims = {_normal(p[f]) for p in phases for f in ("key", "name")}
    claims |= {_normal(a) for a in aliases["phases"]}
    grow(phases, claims, len(phases) * factor, new_phase)
    for number, phase in enumerate(phases, 1):
        phase["number"] = number
    phase_aliases = list(aliases["phases"].items())
    make = alias_of([p["key"] for p in phases], len(phase_aliases) * factor)
    grow(phase_aliases, claims, len(phase_aliases) * factor, make)
    entries = len(phases) + sum(len(p["activities"]) for p in phases) + len(phase_aliases)

    aspect_aliases: dict[str, list[Any]] = {}
    for table in tables.values():
        key, subjects = table["table"]["key"], [s["key"] for s in table["subjects"]]
        claims = {_normal(a[f]) for a in table["aspects"] for f in ("key", "name")}
        group = list(aliases["aspects"][key].items())
        claims |= {_normal(a) for a, _ in group}

        def new_aspect(n: int, subjects: list[str] = subjects) -> Any:
            name, key = titled(n, rng.randint(1, 3))
            values = lambda: {s: sentence(1, 6).rstrip(".") for s in subjects}  # noqa: E731
            return (name, key), lambda: {"key": key, "name": name, "values": values()}

        grow(table["aspects"], claims, len(table["aspects"]) * factor, new_aspect)
        make = alias_of([a["key"] for a in table["aspects"]], len(group) * factor)
        grow(group, claims, len(group) * factor, make)
        aspect_aliases[key] = group
        entries += len(table["aspects"]) + len(group) + len(subjects)

    subject_aliases = list(aliases["subjects"].items())
    subjects = [s for t in tables.values() for s in t["subjects"]]
    claims = {_normal(s[f]) for s in subjects for f in ("key", "name")}
    claims |= {_normal(a) for a, _ in subject_aliases}
    make = alias_of([s["key"] for s in subjects], len(subject_aliases) * factor)
    grow(subject_aliases, claims, len(subject_aliases) * factor, make)
    entries += len(subject_aliases)

    out = [_section("[sdlc]", sdlc["sdlc"])]
    out += [_section("[[phases]]", phase) for phase in phases]
    (directory / "sdlc.toml").write_text("\n\n".join(out) + "\n", encoding="utf-8")
    for file, table in tables.items():
        out = [_section("[table]", table["table"])]
        out += [_section("[[subjects]]", subject) for subject in table["subjects"]]
        out += [_section("[[aspects]]", aspect) for aspect in table["aspects"]]
        (directory / file).write_text("\n\n".join(out) + "\n", encoding="utf-8")
    out = [_section("[phases]", dict(phase_aliases)), _section("[subjects]", dict(subject_aliases))]
    out += [_section(f"[aspects.{key}]", dict(group)) for key, group in aspect_aliases.items()]
    (directory / "aliases.toml").write_text("\n\n".join(out) + "\n", encoding="utf-8")
    vocabulary = BUNDLED / "vocabulary.toml"  # /ask's everyday words, as they are
    if vocabulary.is_file():
        (directory / vocabulary.name).write_text(vocabulary.read_text("utf-8"), "utf-8")
    return PackSize(entries)


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
