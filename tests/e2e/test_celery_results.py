"""`result:` on Celery (tests/e2e/specs/results_celery.yaml), on a real
worker process: `run_x` returns the declared type, a single-step job's
handler result and a multi-step job's value of references alike (an end
step's result too), and a result that does not fit fails with ResultInvalid
(the old behaviour without `result:` is what the other Celery tests check)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lichc.engines.celery.servers import RedisServer
from tests.e2e import celery_support as cs

pytestmark = pytest.mark.e2e

SPEC = (Path(__file__).parent / "specs" / "results_celery.yaml").read_text()
TIMEOUT = 60


@pytest.fixture(scope="module")
def results(
    tmp_path_factory: pytest.TempPathFactory, redis: RedisServer
) -> Iterator[cs.Project]:
    folder = tmp_path_factory.mktemp("celery-results")
    with cs.served(
        folder, SPEC, "e2e_cresults", redis, "cresults", queues=["cresults"]
    ) as proj:
        yield proj


def test_a_single_step_jobs_result_comes_back_as_its_type(
    results: cs.Project,
) -> None:
    assert results.client.run_words(text="a bb ccc", timeout=TIMEOUT) == [
        "a",
        "bb",
        "ccc",
    ]
    handle = results.client.start_words(text="x")
    assert results.client.result_words(handle.id, timeout=TIMEOUT) == ["x"]


def test_a_multi_step_jobs_result_is_its_value_of_references(
    results: cs.Project,
) -> None:
    tally = results.client.run_tally(text="a bb ccc", timeout=TIMEOUT)
    assert tally == {"length": 8, "words": 3}
    # an end step's result is the job's, checked the same way
    assert results.client.run_tally(text="", timeout=TIMEOUT) == {
        "length": 0,
        "words": 0,
    }


def test_a_job_with_a_result_run_as_a_step_ends_itself_not_its_caller(
    results: cs.Project,
) -> None:
    run = results.client.run_report
    assert run(text="a bb", timeout=TIMEOUT) == {"length": 4, "words": 2}
    assert run(text="", timeout=TIMEOUT) == {"length": 0, "words": 0}  # its end step


def test_a_result_that_does_not_fit_its_type_fails_the_job(
    results: cs.Project,
) -> None:
    runtime = results.module("celery_runtime")
    with pytest.raises(runtime.ResultInvalid, match=r"job Numbers: .*0: Input"):
        results.client.run_numbers(text="a b", timeout=TIMEOUT)
    loose = results.client.start_tally(text="a bb", strict=False)
    with pytest.raises(runtime.ResultInvalid, match=r"job Tally: .*words: Input"):
        results.client.result_tally(loose, timeout=TIMEOUT)
