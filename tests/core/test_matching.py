"""The one matcher: what counts as close, which close string wins, stems, and bounds."""

from __future__ import annotations

import pytest

from bot.core.matching import MAX_WORD, Matcher, close_entries, edits_allowed, stem

WORDS = ["testing", "test", "waterfall", "agile", "deployment", "design", "way", "retirement"]


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(WORDS)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("tetsing", "testing"),  # two letters swapped
        ("tesing", "testing"),  # one dropped
        ("testting", "testing"),  # one doubled
        ("waterfal", "waterfall"),
        ("watrfal", "waterfall"),  # two edits in a long word
        ("deploymnet", "deployment"),
        ("agiel", "agile"),
        ("desgn", "design"),
        ("away", "way"),  # one edit at the start: a letter added
        ("esting", "testing"),  # one dropped at the start
        ("etsting", "testing"),  # the first two swapped
        ("resting", "testing"),  # the first one changed
    ],
)
def test_typos_find_what_was_meant(matcher: Matcher, typed: str, meant: str) -> None:
    assert matcher.close(typed) == (meant,)


@pytest.mark.parametrize(
    "typed",
    [
        "tst",  # too short to correct
        "testing",  # known: nothing to correct
        "zzzz",
        "wxtxrfxll",  # three edits in nine letters
        "rtesing",  # two edits, one of them at the start
        "t" + "esting" * 6,  # longer than any word
    ],
)
def test_nothing_close(matcher: Matcher, typed: str) -> None:
    assert matcher.close(typed) == ()


def test_fewest_edits_first_then_most_like_then_most_common() -> None:
    matcher = Matcher(["plan", "plane", "plant", "plans", "planets"], {"plant": 5, "plans": 2})
    # One edit from all four; 'plan' is the most like it (Indel ratio), then by frequency.
    assert matcher.close("planx", 5) == ("plan", "plant", "plans", "plane")
    assert matcher.close("planx") == ("plan",)
    assert Matcher(["plant", "plane"]).close("planx", 2) == ("plane", "plant")  # then a-z


def test_edits_allowed_grow_with_length() -> None:
    assert [edits_allowed(n) for n in (1, 3, 4, 6, 7, 9, 10, 14, 15, 30)] == [
        0,
        0,
        1,
        1,
        2,
        2,
        2,
        2,
        3,
        6,
    ]


def test_longest_is_the_matchers_own() -> None:
    long_name = "implementationcodingandunittesting"  # 34 characters, a name, not a word
    assert len(long_name) > MAX_WORD
    assert Matcher([long_name]).close(long_name[:-1] + "x") == ()
    assert Matcher([long_name], longest=64).close(long_name[:-1] + "x") == (long_name,)


def test_completions(matcher: Matcher) -> None:
    assert matcher.completions("depl", 8) == ["deployment"]
    assert matcher.completions("test", 8) == ["testing"]  # not the word itself
    assert matcher.completions("t", 1) == []  # more than allowed: none
    assert matcher.completions("x", 8) == []


def test_look_ups_are_remembered_and_bounded() -> None:
    matcher = Matcher(WORDS)
    assert matcher.close("tetsing") == ("testing",)
    assert ("tetsing", 1) in matcher._cache
    for i in range(25_000):
        matcher.close(f"q{i:07d}")
    assert len(matcher._cache) <= 20_000


@pytest.mark.parametrize(
    "group",
    [
        "deploy deployment deploying deployed",
        "test tests testing tested",
        "flexible flexibility",
        "document documents documentation",
        "retire retirement retiring",
        "iterate iterative iterations",
        "change changes changing",
        "deliver delivered delivering delivers",
    ],
)
def test_stems_join_word_forms(group: str) -> None:
    assert len({stem(w) for w in group.split()}) == 1, group


def test_stems_leave_numbers_and_very_long_words_alone() -> None:
    assert stem("k8s") == "k8s"
    assert stem("2024") == "2024"
    word = "testing" * 10
    assert stem(word) == word


def test_close_entries_whole_then_word_by_word() -> None:
    entries = [("feasibility-studies", "Conduct feasibility studies."), ("a", "Obtain approval.")]

    def names(entry: tuple[str, str]) -> tuple[str, str]:
        return entry

    assert close_entries(entries, names, "feasability studys") == [entries[0]]  # the key
    assert close_entries(entries, names, "obtain aproval") == [entries[1]]  # word by word
    assert close_entries(entries, names, "conduct aproval") == []  # no entry has both
    assert close_entries(entries, names, "") == []
