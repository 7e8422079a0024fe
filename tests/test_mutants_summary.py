"""The mutation figure README gives (issue 21): scripts/mutants_summary.py counts the mutants run
before a sample as they are and estimates the sample's population from the sample."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _script(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


summary = _script("mutants_summary")


def _codes(**groups):
    """{name: exit code}: `killed_head=3` makes three killed mutants named killed_head_0..2."""
    code = {"killed": 1, "survived": 0, "timeout": 36, "none": None, "notests": 33}
    return {
        f"{group}_{i}": code[group.split("_")[0]] for group, n in groups.items() for i in range(n)
    }


def test_the_estimate_adds_the_sampled_rate_over_the_population_to_the_counted_head():
    codes = _codes(killed_head=90, survived_head=10, killed_s=8, survived_s=2, none_rest=90)
    sample = {
        "seed": 21,
        "population": 100,
        "names": [n for n in codes if n.endswith(tuple(f"_s_{i}" for i in range(10)))],
    }
    assert len(sample["names"]) == 10
    lines = summary.estimate(codes, sample)
    assert lines[0] == "Run before the sample: 90 killed of 100."
    assert lines[1].startswith("Sample (seed 21): 8 killed of 10 run, 10 drawn from the 100")
    # (90 + 0.8 × 100) / 200; Wilson's interval for 8 of 10 is 49.0 %-94.3 %.
    assert lines[2].startswith("Estimated kill rate of all 200 mutants: 85.0 % (95 % interval")
    assert "69.5-92.2 %" in lines[2]


def test_a_timeout_counts_as_killed_and_an_unreached_mutant_as_not_killed():
    codes = _codes(timeout_s=1, notests_s=1, killed_head=1)
    sample = {"seed": 1, "population": 2, "names": ["timeout_s_0", "notests_s_0"]}
    lines = summary.estimate(codes, sample)
    assert "1 killed of 2 run" in lines[1]
    assert "of all 3 mutants: 66.7 %" in lines[2]  # (1 + 0.5 × 2) / 3


def test_a_sample_not_yet_run_gives_no_estimate():
    codes = _codes(killed_head=5, none_s=3)
    sample = {"seed": 1, "population": 3, "names": ["none_s_0", "none_s_1", "none_s_2"]}
    assert summary.estimate(codes, sample)[-1] == "The sample has not run yet: no estimate."


@pytest.mark.parametrize(
    ("killed", "run", "low", "high"),
    [(8, 10, 0.490, 0.943), (10, 10, 0.722, 1.0), (0, 5, 0.0, 0.434)],
)
def test_wilsons_interval(killed, run, low, high):
    lo, hi = summary.wilson(killed, run)
    assert lo == pytest.approx(low, abs=0.001)
    assert hi == pytest.approx(high, abs=0.001)


def test_the_estimate_uses_the_sample_as_it_ran_not_as_later_tests_left_it():
    codes = _codes(killed_head=90, survived_head=10, killed_s=10, none_rest=90)
    drawn = [f"killed_s_{i}" for i in range(10)]
    sample = {
        "seed": 21,
        "population": 100,
        "population_names": [*drawn, *(f"none_rest_{i}" for i in range(90))],
        "names": drawn,
        # As it ran: two survived; tests written since killed them (the codes above).
        "results": {name: (0 if name in drawn[:2] else 1) for name in drawn},
    }
    lines = summary.estimate(codes, sample)
    assert "8 killed of 10 run" in lines[1]
    assert lines[2].startswith("The sample's mutants now: 10 killed")
    assert "of all 200 mutants: 85.0 %" in lines[3]
