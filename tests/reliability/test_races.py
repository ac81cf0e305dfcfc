"""Writers racing, as real `qa` processes against a project a running `qa serve` answers from: two adds of
one file name, an add during a rebuild, two adds of one text. A short version of
`python scripts/faults.py --races 20` (see RaceLab there for the checks each trial makes)."""

from __future__ import annotations

import random

import pytest

TRIALS = 2


@pytest.fixture(scope="module")
def races(faults, lab, tmp_path_factory):
    with faults.RaceLab(tmp_path_factory.mktemp("races"), lab.base) as running:
        yield running


@pytest.mark.parametrize("race", ["same-name", "add-during-rebuild", "identical-text"])
def test_racing_writers_lose_no_article_store_none_twice_and_the_server_answers_each(faults, races, race):
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    results = [races.trial(race, rng) for _ in range(TRIALS)]
    assert [r.line() for r in results if r.errors] == [], f"seed {seed}"
    assert all(r.added for r in results)
