from collections import Counter

import pytest

from app.catalog.ocop_groups import CURRENT_SCHEME, GROUPS, SCHEMES, GroupSeed, stars_for_score


@pytest.mark.parametrize(
    ("score", "stars"),
    [
        (0, 1),
        (29, 1),
        (30, 2),
        (49, 2),
        (50, 3),
        (69, 3),
        (70, 4),
        (89, 4),
        (90, 5),
        (100, 5),
    ],
)
def test_stars_for_score_boundaries(score: int, stars: int) -> None:
    assert stars_for_score(score) == stars


@pytest.mark.parametrize("score", [-1, 101, 1000])
def test_stars_for_score_rejects_scores_outside_0_to_100(score: int) -> None:
    with pytest.raises(ValueError):
        stars_for_score(score)


def test_current_scheme_is_a_known_scheme() -> None:
    assert CURRENT_SCHEME == "2022"
    assert CURRENT_SCHEME in SCHEMES


def test_every_group_belongs_to_a_known_scheme() -> None:
    assert {g.scheme for g in GROUPS} == set(SCHEMES)


def test_codes_are_unique_per_scheme() -> None:
    counts = Counter((g.scheme, g.code) for g in GROUPS)
    assert [key for key, n in counts.items() if n > 1] == []


def test_every_subgroup_parent_exists_in_the_same_scheme() -> None:
    codes = {(g.scheme, g.code) for g in GROUPS}
    for g in GROUPS:
        if g.parent_code is not None:
            assert (g.scheme, g.parent_code) in codes, g


def test_parents_are_listed_before_their_subgroups() -> None:
    seen: set[tuple[str, str]] = set()
    for g in GROUPS:
        if g.parent_code is not None:
            assert (g.scheme, g.parent_code) in seen, g
        seen.add((g.scheme, g.code))


def test_2022_scheme_has_six_groups_and_sixteen_subgroups() -> None:
    groups = [g for g in GROUPS if g.scheme == "2022"]
    assert [g.code for g in groups if g.parent_code is None] == ["1", "2", "3", "4", "5", "6"]
    assert len([g for g in groups if g.parent_code is not None]) == 16


def test_2019_scheme_has_six_groups_and_no_subgroups() -> None:
    groups = [g for g in GROUPS if g.scheme == "2019"]
    assert [g.code for g in groups] == ["1", "2", "3", "4", "5", "6"]
    assert all(g.parent_code is None for g in groups)


def test_subgroup_parent_is_derived_from_its_code() -> None:
    tea = next(g for g in GROUPS if g.scheme == "2022" and g.code == "1.5")
    assert tea == GroupSeed("2022", "1.5", "Chè và sản phẩm từ chè", "Tea and tea products", "1")


def test_every_group_has_both_names() -> None:
    assert all(g.name_vi.strip() and g.name_en.strip() for g in GROUPS)
