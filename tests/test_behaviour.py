"""Directional tests of every claim the model rests on, on whole (small) runs."""

import numpy as np
import pytest

from sim.dynamics.contagion import sisa_step
from sim.dynamics.mood import resting_mood
from sim.simulation import Simulation
from tests.conftest import small, tiny_world


def run(**overrides):
    return Simulation(small(**overrides)).run()


def test_more_isolation_gives_more_isolation_and_loneliness_and_higher_relative_hazard():
    lo = run(**{"network.isolation.fraction": 0.0, "days": 60, "population.size": 2000})
    hi = run(**{"network.isolation.fraction": 0.3, "days": 60, "population.size": 2000})
    s_lo, s_hi = lo.summary(), hi.summary()
    assert s_hi["isolation_prevalence"] > s_lo["isolation_prevalence"] + 0.1
    assert s_hi["loneliness_prevalence"] > s_lo["loneliness_prevalence"] + 0.03
    assert s_hi["mean_relative_hazard"] > s_lo["mean_relative_hazard"]
    assert s_hi["expected_deaths_per_1000_py"] > s_lo["expected_deaths_per_1000_py"]
    assert s_hi["paf_isolation"] > s_lo["paf_isolation"] > 0.0


def test_fewer_meetings_give_more_loneliness():
    often = run(**{"contacts.frequency_multiplier": 1.0, "days": 90})
    rarely = run(**{"contacts.frequency_multiplier": 0.4, "days": 90})
    assert rarely.summary()["mean_loneliness"] > often.summary()["mean_loneliness"] + 0.05


def test_more_smiling_lowers_loneliness_over_time():
    few = run(**{"smiles.propensity": 0.1, "days": 120, "population.size": 1500})
    many = run(**{"smiles.propensity": 0.9, "days": 120, "population.size": 1500})
    assert many.summary()["mean_loneliness"] < few.summary()["mean_loneliness"] - 0.02
    assert many.summary()["mean_mood"] > few.summary()["mean_mood"]


def test_the_lonely_smile_less_withdrawal_loop():
    sim = run(**{"days": 60, "population.size": 2000})
    a = sim.agents_frame()
    per_meeting = a["smiles_given"] / (a["contacts_per_day"] * 60 + 1)
    assert per_meeting[a["lonely"]].mean() < per_meeting[~a["lonely"]].mean()


def test_losing_a_partner_leaves_people_lonelier_than_keeping_one():
    """Same town, same seed: in one arm the partner ties of a tenth of the people are cut on day 0."""
    sc = small(**{"population.size": 3000, "days": 90})
    kept, cut = Simulation(sc), Simulation(sc)
    p = cut.people
    who = np.flatnonzero(p.partner >= 0)[::10]
    slots = cut.ties.slots_of(who)
    cut.ties.remove(slots[cut.ties.kind[slots] == 0])
    p.partner[who] = -1
    p.partner[np.isin(np.arange(cut.n), kept.people.partner[who])] = -1
    kept.run(), cut.run()
    assert cut.people.loneliness[who].mean() > kept.people.loneliness[who].mean() + 0.05
    assert cut.people.isolation_index[who].mean() > kept.people.isolation_index[who].mean() + 0.9


def test_wanting_more_connection_makes_people_lonelier_on_the_same_network():
    sc = small(**{"population.size": 2000, "days": 60})
    base, needy = Simulation(sc), Simulation(sc)
    needy.people.desired *= 2.0
    base.run(), needy.run()
    assert needy.people.loneliness.mean() > base.people.loneliness.mean() + 0.1
    assert needy.people.isolated.mean() == pytest.approx(base.people.isolated.mean(), abs=0.03)  # isolation is not felt


def test_habit_grows_with_practice_in_a_smile_campaign():
    sim = Simulation(small(**{"days": 60, "interventions": [{"kind": "smile_campaign", "start_day": 0, "duration_days": 60,
                                                              "coverage": 0.5, "smile_odds_multiplier": 4.0}]}))
    before = sim.people.habit.copy()
    sim.run()
    enrolled = sim.programmes.enrolled_mask(0)
    grew = sim.people.habit - before
    assert grew[enrolled].mean() > grew[~enrolled].mean() + 0.01
    assert sim.people.smiles_given[enrolled].mean() > 1.15 * sim.people.smiles_given[~enrolled].mean()


def test_befriending_lowers_the_loneliness_of_the_enrolled():
    kw = {"days": 90, "network.isolation.fraction": 0.2}
    base = run(**kw)
    prog = run(**kw, interventions=[{"kind": "befriending", "start_day": 0, "duration_days": 90, "coverage": 0.2,
                                     "targeting": "loneliest", "visits_per_week": 4}])
    enrolled = prog.programmes.enrolled_mask(0)
    assert prog.people.loneliness[enrolled].mean() < base.people.loneliness[enrolled].mean() - 0.05


def test_big_joy_week_lifts_the_mood_of_participants():
    sim = Simulation(small(days=10, interventions=[{"kind": "big_joy", "start_day": 2, "duration_days": 7,
                                                     "coverage": 0.3}]))
    sim.run(days=2)
    before = sim.people.mood.copy()
    sim.run(days=7)
    enrolled = sim.programmes.enrolled_mask(0)
    change = sim.people.mood - before
    assert change[enrolled].mean() > change[~enrolled].mean() + 0.03


def test_contagion_moves_one_step_a_day():
    """Person 0 is content; 1 and 2 neutral on a path 0-1-2; no spontaneous change: only 1 can turn content."""
    sc, p, _ = tiny_world([(0, 1), (1, 2)], 3, **{
        "contagion.neutral_to_content_per_year": 0.0, "contagion.neutral_to_discontent_per_year": 0.0,
        "contagion.content_to_neutral_per_year": 0.0, "contagion.neutral_to_content_per_contact_year": 1e6})
    p.emotion[:] = [1, 0, 0]
    p.mood[:] = resting_mood(p, sc.mood)
    met_content = np.array([0, 1, 0], np.int32)  # person 1 met person 0 today; person 2 met person 1 (neutral)
    new = sisa_step(p, met_content, np.zeros(3, np.int32), sc.contagion, 1.0, resting_mood(p, sc.mood),
                    np.random.default_rng(0))
    assert list(new) == [1, 1, 0]


def test_measured_contagion_rate_matches_the_sisa_rate():
    n = 40_000
    sc, p, _ = tiny_world([(0, 1)], n, **{"contagion.neutral_to_content_per_contact_year": 36.5})
    p.emotion[:] = 0
    p.mood[:] = resting_mood(p, sc.mood)
    met_content = np.ones(n, np.int32)  # everyone met one content person today
    new = sisa_step(p, met_content, np.zeros(n, np.int32), sc.contagion, 1.0, resting_mood(p, sc.mood),
                    np.random.default_rng(2))
    c = sc.contagion
    h_c = 36.5 / 365 + c.neutral_to_content_per_year / 365
    h_d = c.neutral_to_discontent_per_year / 365
    expect = (1 - np.exp(-(h_c + h_d))) * h_c / (h_c + h_d)
    got = (new == 1).mean()
    assert abs(got - expect) < 4 * np.sqrt(expect * (1 - expect) / n)


def test_deaths_leave_the_network_and_neighbours_grieve():
    sc = small(**{"population.size": 3000, "days": 40, "population.age_min": 85, "population.age_max": 100,
                  "mortality.simulate_deaths": True})
    sim = Simulation(sc)
    sim.run()
    p = sim.people
    dead = ~p.alive
    assert dead.sum() > 5
    assert (p.degree[dead] == 0).all()
    edges = sim.edges_frame()
    assert not np.isin(np.flatnonzero(dead), np.r_[edges["source"], edges["target"]]).any()
    s = sim.summary()
    assert s["observed_deaths"] == dead.sum() and "kaplan_meier" in s
    assert sim.timeseries()["deaths"].sum() == dead.sum()


def test_a_shock_suspends_ties_but_not_households_and_they_return():
    sc = small(**{"days": 30, "ties.dynamic": False, "kindness.new_tie_probability": 0.0,
                  "shocks": [{"start_day": 5, "duration_days": 10, "tie_removal_fraction": 0.5, "contact_multiplier": 0.5}]})
    sim = Simulation(sc)
    living_together = int((sim.ties.kind[sim.ties.active_ids()] <= 1).sum())
    ts = sim.run().timeseries()
    before, during, after = ts.loc[3, "ties"], ts.loc[10, "ties"], ts.loc[20, "ties"]
    expect = living_together + 0.5 * (before - living_together)
    assert during == pytest.approx(expect, rel=0.1) and after == before
    assert ts.loc[10, "contacts"] < 0.6 * ts.loc[3, "contacts"]


def test_the_baseline_starts_steady():
    """The settled start is the model's steady state: no drift in degree or loneliness over the first months."""
    ts = Simulation(small(**{"population.size": 5000, "days": 180, "burn_in_days": 30})).run().timeseries()
    assert ts["mean_degree"].iloc[-1] == pytest.approx(ts["mean_degree"].iloc[0], rel=0.02)
    first, last = ts["loneliness_prevalence"].iloc[:30].mean(), ts["loneliness_prevalence"].iloc[-30:].mean()
    assert abs(last - first) < 0.01


def test_same_seed_same_run_other_seed_other_run():
    a = run(seed=7).timeseries()
    b = run(seed=7).timeseries()
    c = run(seed=8).timeseries()
    assert a.equals(b) and not a.equals(c)
