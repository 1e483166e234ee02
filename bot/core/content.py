"""Loading and validating a content directory.

A content directory holds four TOML files: ``sdlc.toml`` (the life cycle and its
phases), ``methodologies.toml`` and ``mlops.toml`` (comparison tables) and
``aliases.toml`` (words users type), and optionally ``vocabulary.toml`` (the everyday
words ``/ask`` understands). :func:`load_content` parses them, validates each against
the models and then checks the whole: unique keys, a value for every aspect of every
subject, aliases that point somewhere and are claimed once, synonyms that mean words
the content has. Every problem names the file, the entry and the field, and all of them
are reported at once.
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from bot.core.errors import ContentError
from bot.core.matching import stem
from bot.core.models import SDLC, Aliases, Content, Table, Vocabulary
from bot.core.text import MAX_PHRASE, normalize, words

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)

SDLC_FILE = "sdlc.toml"
ALIASES_FILE = "aliases.toml"
VOCABULARY_FILE = "vocabulary.toml"
TABLE_FILES = ("methodologies.toml", "mlops.toml")
METHODOLOGIES = "methodologies"
MLOPS = "mlops"

# The project-tracking rules (bot.core.progress) rely on these keys, so every content
# directory must have them: the default methodology, and the phases where an iteration
# of an iterative methodology ends (`/project next` from the last one loops to phase 1).
DEFAULT_METHODOLOGY = "waterfall"
ITERATION_END_KEYS = ("testing", "deployment")


def bundled_content_dir() -> Path:
    """The content shipped with phasebot, in a wheel or in a source checkout."""
    package_dir = Path(__file__).resolve().parent.parent
    installed = package_dir / "content"
    if (installed / SDLC_FILE).is_file():
        return installed
    return package_dir.parent / "content"


def load_content(directory: Path | None = None) -> Content:
    """Load and validate a content directory (the bundled one by default)."""
    directory = bundled_content_dir() if directory is None else Path(directory)
    problems: list[str] = []
    if not directory.is_dir():
        raise ContentError([f"{directory}: not a directory"])

    sdlc = _parse(directory, SDLC_FILE, SDLC, problems)
    tables = [_parse(directory, name, Table, problems) for name in TABLE_FILES]
    aliases = _parse(directory, ALIASES_FILE, Aliases, problems)
    vocabulary = _parse(directory, VOCABULARY_FILE, Vocabulary, problems, required=False)
    # Check whatever parsed, so one run reports every problem it can find.
    if sdlc is not None:
        problems.extend(_check_sdlc(sdlc))
    for name, table in zip(TABLE_FILES, tables, strict=True):
        if table is not None:
            problems.extend(_check_table(name, table))
    parsed = [t for t in tables if t is not None]
    if len(parsed) == len(tables):
        problems.extend(_check_table_set(parsed))
    if aliases is not None:
        problems.extend(_check_aliases(sdlc, tables, aliases))
    problems.extend(_check_tracking_keys(sdlc, tables[0]))
    complete = sdlc is not None and aliases is not None and len(parsed) == len(tables)
    if vocabulary is not None and sdlc is not None and aliases is not None and complete:
        problems.extend(_check_vocabulary(vocabulary, sdlc, parsed, aliases))
    if problems or sdlc is None or aliases is None or vocabulary is None:
        raise ContentError(problems)
    content = Content(sdlc=sdlc, tables=tuple(parsed), aliases=aliases, vocabulary=vocabulary)
    log.debug("loaded content from %s: %d phases", directory, len(sdlc.phases))
    return content


def _parse(
    directory: Path, name: str, model: type[M], problems: list[str], *, required: bool = True
) -> M | None:
    """The file's model, or None with its problems added (an optional file that is
    missing is an empty model)."""
    path = directory / name
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if not required:
            return model()
        problems.append(f"{name}: file is missing")
        return None
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{name}: cannot be read ({exc})")
        return None
    except tomllib.TOMLDecodeError as exc:
        problems.append(f"{name}: not valid TOML ({exc})")
        return None
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        for error in exc.errors():
            problems.append(f"{name}: {_describe(raw, error['loc'])}: {error['msg']}")
        return None


def _describe(raw: Mapping[str, Any], loc: Iterable[int | str]) -> str:
    """Turn a pydantic error location into 'entry ..., field ...' words."""
    parts: list[str] = []
    node: Any = raw
    entry = ""
    for step in loc:
        if isinstance(step, int):
            label = f"[{step + 1}]"
            if isinstance(node, list) and step < len(node):
                node = node[step]
                if isinstance(node, Mapping) and isinstance(node.get("key"), str):
                    label = f"[{step + 1}] (key '{node['key']}')"
            parts.append(label)
        else:
            parts.append(("." if parts else "") + step)
            node = node.get(step) if isinstance(node, Mapping) else None
    path = "".join(parts)
    if not parts:
        return "file"
    *_, last = parts
    field = str(last).lstrip(".")
    if "[" in field:
        return f"entry {path}"
    entry = path[: len(path) - len(last)] or "top level"
    return f"entry {entry}, field '{field}'"


def _duplicates(items: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    seen: set[str] = set()
    dupes = []
    for key, where in items:
        if key in seen:
            dupes.append((key, where))
        seen.add(key)
    return dupes


def _check_sdlc(sdlc: SDLC) -> list[str]:
    problems = []
    phases = sdlc.phases
    for key, where in _duplicates((p.key, f"phases[{i + 1}]") for i, p in enumerate(phases)):
        problems.append(f"{SDLC_FILE}: entry {where}, field 'key': duplicate phase key '{key}'")
    for i, phase in enumerate(phases):
        if phase.number != i + 1:
            problems.append(
                f"{SDLC_FILE}: entry phases[{i + 1}] (key '{phase.key}'), field 'number': "
                f"expected {i + 1} (phases are numbered 1..{len(phases)} in order), "
                f"got {phase.number}"
            )
        acts = ((a.key, f"activities[{j + 1}]") for j, a in enumerate(phase.activities))
        for key, where in _duplicates(acts):
            problems.append(
                f"{SDLC_FILE}: entry phases[{i + 1}] (key '{phase.key}').{where}, field 'key': "
                f"duplicate activity key '{key}'"
            )
    return problems


def _check_table(name: str, table: Table) -> list[str]:
    problems = []
    subjects = [s.key for s in table.subjects]
    subject_items = ((s.key, f"subjects[{i + 1}]") for i, s in enumerate(table.subjects))
    for key, where in _duplicates(subject_items):
        problems.append(f"{name}: entry {where}, field 'key': duplicate subject key '{key}'")
    aspect_items = ((a.key, f"aspects[{i + 1}]") for i, a in enumerate(table.aspects))
    for key, where in _duplicates(aspect_items):
        problems.append(f"{name}: entry {where}, field 'key': duplicate aspect key '{key}'")
    for i, aspect in enumerate(table.aspects):
        where = f"{name}: entry aspects[{i + 1}] (key '{aspect.key}'), field 'values'"
        for subject in subjects:
            if subject not in aspect.values:
                problems.append(f"{where}: no value for subject '{subject}'")
        for extra in aspect.values.keys() - set(subjects):
            problems.append(f"{where}: '{extra}' is not a subject of this table")
    return problems


def _check_table_set(tables: list[Table]) -> list[str]:
    problems = []
    for name, table, expected in zip(TABLE_FILES, tables, (METHODOLOGIES, MLOPS), strict=True):
        if table.key != expected:
            problems.append(
                f"{name}: entry table, field 'key': expected '{expected}', got '{table.key}'"
            )
    owners: dict[str, str] = {}
    for name, table in zip(TABLE_FILES, tables, strict=True):
        for i, subject in enumerate(table.subjects):
            if subject.key in owners and owners[subject.key] != name:
                problems.append(
                    f"{name}: entry subjects[{i + 1}], field 'key': subject key "
                    f"'{subject.key}' is already used in {owners[subject.key]}"
                )
            owners.setdefault(subject.key, name)
    return problems


def _check_tracking_keys(sdlc: SDLC | None, methodologies: Table | None) -> list[str]:
    """The keys the progress rules need (see ITERATION_END_KEYS, DEFAULT_METHODOLOGY)."""
    problems = []
    why = "project tracking needs it"
    if sdlc is not None:
        keys = {p.key for p in sdlc.phases}
        for key in ITERATION_END_KEYS:
            if key not in keys:
                problems.append(f"{SDLC_FILE}: entry phases: no phase with key '{key}' ({why})")
    if methodologies is not None and methodologies.subject(DEFAULT_METHODOLOGY) is None:
        problems.append(
            f"{TABLE_FILES[0]}: entry subjects: no subject with key '{DEFAULT_METHODOLOGY}' "
            f"({why}: it is the default methodology)"
        )
    return problems


def _check_aliases(sdlc: SDLC | None, tables: list[Table | None], aliases: Aliases) -> list[str]:
    """Check each alias group whose targets parsed (a broken file is reported already)."""
    problems: list[str] = []
    if sdlc is not None:
        phase_names = {p.key: (p.key, p.name) for p in sdlc.phases}
        problems += _check_alias_group(ALIASES_FILE + ": entry phases", aliases.phases, phase_names)
    parsed = [t for t in tables if t is not None]
    if len(parsed) == len(tables):
        subject_names = {s.key: (s.key, s.name) for t in parsed for s in t.subjects}
        problems += _check_alias_group(
            ALIASES_FILE + ": entry subjects", aliases.subjects, subject_names
        )
    by_key = {t.key: t for t in parsed}
    for table_key, group in aliases.aspects.items():
        table = by_key.get(table_key)
        where = f"{ALIASES_FILE}: entry aspects.{table_key}"
        if table is None:
            if len(parsed) == len(tables):
                problems.append(f"{where}: there is no table '{table_key}'")
            continue
        names = {a.key: (a.key, a.name) for a in table.aspects}
        problems += _check_alias_group(where, group, names)
    return problems


def _check_alias_group(
    where: str, group: Mapping[str, str], targets: Mapping[str, tuple[str, str]]
) -> list[str]:
    """Each alias must point at a target and claim a word nobody else claims."""
    problems = []
    claims: dict[str, str] = {}
    for key, names in targets.items():
        for name in names:
            claims.setdefault(normalize(name), key)
    alias_claims: dict[str, tuple[str, str]] = {}
    for alias, target in group.items():
        if target not in targets:
            problems.append(f"{where}, field '{alias}': points to '{target}', which does not exist")
            continue
        word = normalize(alias)
        if not word:
            problems.append(f"{where}, field '{alias}': has no letters or digits")
            continue
        owner = claims.get(word)
        if owner is not None and owner != target:
            problems.append(
                f"{where}, field '{alias}': is already the name of '{owner}', "
                f"cannot point to '{target}'"
            )
            continue
        earlier = alias_claims.get(word)
        if earlier is not None and earlier[1] != target:
            problems.append(
                f"{where}, field '{alias}': claimed twice, "
                f"also by '{earlier[0]}' for '{earlier[1]}'"
            )
            continue
        alias_claims[word] = (alias, target)
    return problems


def _check_vocabulary(
    vocabulary: Vocabulary, sdlc: SDLC, tables: list[Table], aliases: Aliases
) -> list[str]:
    """Each phrase must be words /ask can read; each synonym must mean words the
    content has (a word counts in any of its forms: 'pipeline' is in 'CI/CD pipelines')."""
    problems: list[str] = []
    known: set[str] | None = None  # the stems of the content's words, made when needed
    for group, phrases in (("synonyms", vocabulary.synonyms), ("overview", vocabulary.overview)):
        where = f"{VOCABULARY_FILE}: entry {group}"
        for phrase in phrases:
            count = len(words(phrase))
            if not count:
                problems.append(f"{where}, field '{phrase}': has no letters or digits")
            elif count > MAX_PHRASE:
                problems.append(
                    f"{where}, field '{phrase}': has {count} words; "
                    f"/ask reads names of up to {MAX_PHRASE}"
                )
    problems += _check_word_lists(vocabulary, lambda: _content_stems(sdlc, tables, aliases))
    where = f"{VOCABULARY_FILE}: entry synonyms"
    for phrase, meanings in vocabulary.synonyms.items():
        for meaning in meanings:
            tokens = words(meaning)
            if not tokens:
                problems.append(f"{where}, field '{phrase}': '{meaning}' has no letters or digits")
                continue
            if known is None:
                known = _content_stems(sdlc, tables, aliases)
            missing = [w for w in tokens if stem(w) not in known]
            if missing:
                problems.append(
                    f"{where}, field '{phrase}': '{meaning}' is not in the content "
                    f"(no name, alias or text has '{missing[0]}')"
                )
    return problems


def _check_word_lists(vocabulary: Vocabulary, content_stems: Callable[[], set[str]]) -> list[str]:
    """Context words are single words, listed once; an uncovered word or phrase is
    neither a word of the content nor a phrase the vocabulary gives a meaning."""
    problems: list[str] = []
    meant = {normalize(p) for p in (*vocabulary.synonyms, *vocabulary.overview)}
    stems: set[str] | None = None
    for group, entries in (("context", vocabulary.context), ("uncovered", vocabulary.uncovered)):
        seen: set[str] = set()
        for i, entry in enumerate(entries):
            where = f"{VOCABULARY_FILE}: entry {group}[{i + 1}] ('{entry}')"
            tokens = words(entry)
            if not tokens:
                problems.append(f"{where}: has no letters or digits")
                continue
            key = normalize(entry)
            if key in seen:
                problems.append(f"{where}: listed twice")
            seen.add(key)
            if group == "context":
                if len(tokens) > 1:
                    problems.append(f"{where}: has {len(tokens)} words; context words are single")
                continue
            if len(tokens) > MAX_PHRASE:
                problems.append(
                    f"{where}: has {len(tokens)} words; /ask reads phrases of up to {MAX_PHRASE}"
                )
            elif key in meant:
                problems.append(f"{where}: is also in synonyms or overview, which give it meaning")
            elif len(tokens) == 1:
                stems = content_stems() if stems is None else stems
                if stem(tokens[0]) in stems:
                    problems.append(f"{where}: is a word of the content, so /ask can answer it")
    return problems


def _content_stems(sdlc: SDLC, tables: list[Table], aliases: Aliases) -> set[str]:
    """The stems of every word of the content: texts, names, keys and aliases."""
    texts: list[str] = [sdlc.sdlc.title, sdlc.sdlc.definition, sdlc.sdlc.goal, sdlc.sdlc.overview]
    for phase in sdlc.phases:
        texts += [phase.key, phase.name, phase.objective]
        texts += [activity.text for activity in phase.activities]
    for table in tables:
        texts += [table.title, *(f"{s.key} {s.name}" for s in table.subjects)]
        for aspect in table.aspects:
            texts += [aspect.key, aspect.name, *aspect.values.values()]
    texts += [*aliases.phases, *aliases.subjects]
    texts += [alias for group in aliases.aspects.values() for alias in group]
    return {stem(word) for word in set(words(" ".join(texts)))}
