"""Step 7, health (sim/dynamics/health.py): the day's wear and recovery, exactly for hand-computed cases,
and in the directions the model claims (loneliness and isolation wear the reserve down, positive mood and
smiles buffer the wear, the reserve recovers toward what is expected at the person's age)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from sim.config import HealthConfig
from sim.dynamics.health import expected_health, expected_health_at, update_health

pytestmark = pytest.mark.model


def people(n: int, health=0.8, age=59.0, loneliness=0.0, isolated=False, mood=0.0, alive=True) -> SimpleNamespace:
    """The arrays update_health reads, one value (or one per person) each, in the engine's dtypes."""
    def arr(value, dtype):
        return np.broadcast_to(np.asarray(value, dtype), (n,)).copy()

    return SimpleNamespace(health=arr(health, np.float32), age=arr(age, np.float32),
                           loneliness=arr(loneliness, np.float32), isolated=arr(isolated, bool),
                           mood=arr(mood, np.float32), alive=arr(alive, bool))


def days(p: SimpleNamespace, cfg: HealthConfig, n_days: int, smiles=0.0) -> np.ndarray:
    s = np.broadcast_to(np.asarray(smiles, np.float32), p.health.shape).copy()
    for _ in range(n_days):
        update_health(p, cfg, s)
    return p.health


# =========================================================================== exact
def test_age_expected_reserve_is_one_at_18_and_four_tenths_at_100():
    assert expected_health_at(18.0) == 1.0 and expected_health_at(10.0) == 1.0
    assert expected_health_at(59.0) == pytest.approx(1 - 0.6 * 0.5**2)  # halfway: 0.85
    assert expected_health_at(100.0) == pytest.approx(0.4) and expected_health_at(120.0) == pytest.approx(0.4)
    ages = np.array([18, 59, 100], np.float32)
    np.testing.assert_allclose(expected_health(ages), [1.0, 0.85, 0.4], rtol=1e-6)


def test_one_day_matches_the_formula_by_hand():
    cfg = HealthConfig()
    p = people(1, health=0.5, age=59.0, loneliness=0.5, isolated=True, mood=0.5)
    days(p, cfg, 1, smiles=2.0)
    wear = (cfg.wear_per_year_lonely * 0.5 + cfg.wear_per_year_isolated) / 365
    buffer = 1 - cfg.mood_buffer * 0.5 - cfg.smile_buffer * 2 / (2 + 2)
    expected = 0.5 + cfg.recovery_per_year / 365 * (0.85 - 0.5) - wear * buffer
    assert p.health[0] == pytest.approx(expected, rel=1e-6)


def test_a_connected_person_at_the_reserve_expected_for_their_age_stays_there():
    p = people(3, health=[1.0, 0.85, 0.4], age=[18, 59, 100])
    days(p, HealthConfig(), 365)
    np.testing.assert_allclose(p.health, [1.0, 0.85, 0.4], rtol=1e-5)


def test_the_dead_are_not_changed_and_health_stays_between_0_and_1():
    cfg = HealthConfig(wear_per_year_lonely=1000.0, recovery_per_year=0.0)
    p = people(2, health=0.5, loneliness=1.0, isolated=True, alive=[True, False])
    days(p, cfg, 30)
    assert p.health[0] == 0.0 and p.health[1] == pytest.approx(0.5)
    p = people(1, health=0.99, age=18.0)
    days(p, HealthConfig(recovery_per_year=1000.0), 5)
    assert p.health[0] == 1.0


def test_a_buffer_can_remove_the_wear_but_never_add_health():
    cfg = HealthConfig(mood_buffer=1.0, smile_buffer=1.0, recovery_per_year=0.0)
    p = people(1, health=0.6, loneliness=1.0, isolated=True, mood=1.0)
    days(p, cfg, 50, smiles=1000.0)  # buffer 1 - 1 - ~1 < 0: clipped at 0, no gain
    assert p.health[0] == pytest.approx(0.6)


# =========================================================================== directions
def test_more_loneliness_wears_the_reserve_down_more():
    p = people(4, loneliness=[0.0, 0.3, 0.6, 1.0])
    h = days(p, HealthConfig(), 365)
    assert np.all(np.diff(h) < 0)


def test_isolation_wears_the_reserve_down():
    p = people(2, isolated=[False, True])
    h = days(p, HealthConfig(), 365)
    assert h[1] < h[0] - 0.01


def test_positive_mood_buffers_the_wear_and_negative_mood_is_not_a_buffer():
    p = people(4, loneliness=1.0, isolated=True, mood=[-0.8, 0.0, 0.4, 0.8])
    h = days(p, HealthConfig(), 365)
    assert h[0] == pytest.approx(h[1]) and h[1] < h[2] < h[3]


def test_smiles_buffer_the_wear_with_diminishing_returns():
    cfg = HealthConfig()
    gains = []
    for smiles in (0.0, 2.0, 4.0, 8.0):
        p = people(1, loneliness=1.0, isolated=True)
        gains.append(days(p, cfg, 365, smiles=smiles)[0])
    steps = np.diff(gains)
    assert np.all(steps > 0) and steps[0] > steps[1]  # the first 2 smiles buffer more than the next 2


def test_the_reserve_recovers_toward_what_is_expected_at_the_persons_age():
    p = people(2, health=[0.5, 1.0], age=59.0)  # below and above the 0.85 expected at 59
    h = days(p, HealthConfig(), 365)
    assert 0.5 < h[0] < 0.85 and 0.85 < h[1] < 1.0
    faster = days(people(1, health=0.5, age=59.0), HealthConfig(recovery_per_year=1.0), 365)
    assert faster[0] > h[0]
