"""Schema sections for the daily mechanisms, steps 1–8 of the day (``contacts:`` … ``mortality:``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from sim.config.base import Strict, assumption, probability, rate


# --------------------------------------------------------------------------- daily mechanisms
class ContactsConfig(Strict):
    """Step 1, contacts: how often ties meet (isolation level b), and the withdrawal loop."""

    frequency_multiplier: float = rate(
        1.0, "Isolation level (b): multiplies every tie's contact rate. 1 = baseline, 0.5 = half as often."
    )
    withdrawal_per_loneliness: float = assumption(
        0.5, "Fractional drop in a person's contact rate at loneliness 1 (withdrawal loop, Hawkley & Cacioppo "
        "2010; assumption for the size).",
        low=0.25, high=0.75, ge=0, le=1,
    )
    health_weight: float = assumption(
        0.5, "Fractional drop in a person's contact rate at health 0 (linear in 1 - health): functional limitation "
        "lowers social contact (Pavela 2015: OR 0.93-0.97 per added ADL/IADL limitation) [C, direction]; "
        "assumption for the size.",
        low=0.25, high=0.75, ge=0, le=1,
    )


class SmilesConfig(Strict):
    """Step 2, smiles: frequent, small, returned more than half the time, lift giver and receiver."""

    propensity: float = assumption(
        0.5, "Probability per contact that an average person (mood 0, habit 0.3, loneliness 0) smiles at the "
        "other. Assumption; a smile is frequent and small (docs/science.md §3).",
        low=0.3, high=0.7, ge=0, le=1,
    )
    mood_weight: float = Field(1.5, description="Log-odds of smiling per unit mood (mood in [-1, 1]).")
    habit_weight: float = Field(1.5, description="Log-odds of smiling per unit habit strength above 0.3.")
    loneliness_weight: float = Field(
        2.0, ge=0, description="Log-odds drop of smiling per unit loneliness (withdrawal loop)."
    )
    return_probability: float = probability(
        0.55,
        "Probability a smile is returned by a receiver with mood 0: 'more than half' (Hinsz & Tomhave 1991).",
    )
    return_mood_weight: float = Field(1.0, description="Log-odds of returning a smile per unit receiver mood.")
    giver_mood_gain: float = assumption(
        0.004, "Mood gain per smile given, before diminishing returns (Coles et al. 2022: small). Assumption.",
        low=0.002, high=0.008, log=True, ge=0,
    )
    receiver_mood_gain: float = assumption(
        0.006, "Mood gain per smile received, before diminishing returns. Assumption.",
        low=0.003, high=0.012, log=True, ge=0,
    )
    connection_value: float = assumption(
        0.25, "Contact-equivalents of connection per smile received (feeds loneliness). Assumption.",
        low=0.1, high=0.5, ge=0,
    )


class KindnessConfig(Strict):
    """Step 3, kind acts: rarer and larger than smiles, paid forward, build ties."""

    rate_per_day: float = assumption(
        0.1, "Baseline kind acts per person per day (rarer than smiles). Assumption.",
        low=0.05, high=0.2, log=True, ge=0,
    )
    mood_weight: float = Field(1.0, description="Log-rate change of kind acts per unit mood.")
    habit_weight: float = Field(1.5, description="Log-rate change per unit habit strength above 0.3.")
    loneliness_weight: float = Field(1.0, ge=0, description="Log-rate drop per unit loneliness (withdrawal).")
    giver_mood_gain: float = rate(
        0.02, "Giver's mood gain per kind act before diminishing returns. Set by hand in v0.1 toward the "
        "controlled kindness effect (Curry et al. 2018, δ = 0.28); not tuned by a script (the Big Joy effect is "
        "tuned through self_act_mood_gain instead)."
    )
    receiver_mood_gain: float = assumption(
        0.03, "Receiver's mood gain per kind act received. Assumption (Pressman 2015).",
        low=0.015, high=0.06, log=True, ge=0,
    )
    pay_forward_probability: float = probability(
        0.4, "Probability a receiver does a kind act of their own the next day (Pressman et al. 2015: ~40%)."
    )
    closeness_gain: float = assumption(
        0.02, "Gain in a tie's closeness (0–1) per kind act along it. Assumption.",
        low=0.01, high=0.04, ge=0,
    )
    stranger_fraction: float = assumption(
        0.1, "Share of kind acts aimed at a stranger rather than a tie. Assumption.",
        low=0.05, high=0.2, ge=0, le=1,
    )
    new_tie_probability: float = assumption(
        0.01, "Probability a kind act to a stranger starts a new tie. Assumption.",
        low=0.005, high=0.02, ge=0, le=1,
    )
    connection_value: float = assumption(
        1.0, "Contact-equivalents of connection per kind act received. Assumption.",
        low=0.5, high=2.0, log=True, ge=0,
    )


class ContagionConfig(Strict):
    """SISa emotional contagion, rates per year (Hill, Rand, Nowak & Christakis 2010, docs/science.md §2).

    Per-contact rates are per tie-year in the paper; the model turns them into a probability per
    meeting, so that a tie of the initial strength between two people who are not lonely transmits
    at the published yearly rate; weaker ties, withdrawal and fewer meetings mean less contagion.
    """

    enabled: bool = Field(True, description="Switch the SISa layer on or off.")
    neutral_to_content_per_year: float = rate(0.18, "Spontaneous N→C rate, per year (Hill 2010, [S]).")
    neutral_to_content_per_contact_year: float = rate(0.02, "N→C per content tie, per year (Hill 2010).")
    neutral_to_discontent_per_year: float = rate(0.04, "Spontaneous N→D rate, per year (Hill 2010, [S]).")
    neutral_to_discontent_per_contact_year: float = rate(0.04, "N→D per discontent tie, per year (Hill 2010).")
    content_to_neutral_per_year: float = rate(0.088, "C→N rate, per year (Hill 2010, [S]).")
    discontent_to_neutral_per_year: float = rate(0.13, "D→N rate, per year (Hill 2010, [S]).")
    content_to_discontent_per_contact_year: float = rate(0.009, "C→D per discontent tie, per year ([S]).")
    discontent_to_content_per_contact_year: float = rate(0.07, "D→C per content tie, per year ([S]).")
    mood_coupling: float = assumption(
        1.0, "Log-rate multiplier on uplifting transitions per unit of mood above the state's "
        "resting level (and its inverse on downward ones): how smiles and kind acts feed the contagion "
        "layer. Assumption.",
        low=0.5, high=2.0, log=True, ge=0,
    )


class MoodConfig(Strict):
    """Step 4b, mood: affect valence on -1..1, resting level by emotional state."""

    content_level: float = Field(0.5, ge=-1, le=1, description="Resting mood of a content person (scale -1..1).")
    neutral_level: float = Field(0.0, ge=-1, le=1, description="Resting mood of a neutral person.")
    discontent_level: float = Field(-0.5, ge=-1, le=1, description="Resting mood of a discontent person.")
    relaxation_days: float = assumption(
        7.0, "e-folding time, days, of mood back to its resting level (hedonic adaptation). Assumption.",
        low=3.5, high=14.0, log=True, gt=0,
    )
    loneliness_drag: float = assumption(
        0.3, "Lowering of resting mood at loneliness 1. Assumption.",
        low=0.15, high=0.6, ge=0,
    )


class LonelinessConfig(Strict):
    """Step 5, loneliness: the gap between desired and received connection, slow to change."""

    perception_days: float = Field(
        30.0, gt=0, description="e-folding time, days, of perceived connection (a moving average of received connection)."
    )
    adjustment_days: float = assumption(
        30.0, "e-folding time, days, of loneliness toward its target (chronic, slow). Assumption.",
        low=15.0, high=60.0, log=True, gt=0,
    )
    mood_bias: float = rate(
        0.665,
        "Median over people of social-threat vigilance: added to the loneliness target per unit of negative "
        "mood (Hawkley & Cacioppo 2010); it varies across people (population.vigilance_sigma) and "
        "social-cognition programmes lower it (Masi et al. 2011). Calibrated jointly (experiments/calibrate.py, "
        "step population) with the loneliness of the well connected (62% of the lonely at 65+ are not isolated).",
    )
    emotional_weight: float = probability(
        0.212,
        "Weight of the emotional gap (too little close connection: a partner, confidants) against the social "
        "gap (too little contact) in the loneliness target (Weiss 1973; de Jong Gierveld's emotional and "
        "social loneliness). Calibrated jointly (experiments/calibrate.py, step population) with the overlap and "
        "the loneliness of the partnered and unpartnered.",
    )
    responsiveness_loss: float = Field(
        0.0, ge=0, le=1,
        description="How much a lonely person's behaviour lowers what their ties receive: a meeting with j gives "
        "closeness x (1 - q L_j) of close connection (q; 0 = off, the default). Cacioppo & Hawkley's loneliness "
        "model: the lonely are less responsive and less trusting, which confirms their expectations (Hawkley & "
        "Cacioppo 2010) [C, qualitative]; no published figure gives q: off by default, a switch for modellers.",
    )
    intimacy_share: float = Field(
        0.629, gt=0, le=1,
        description="Close connection a person wants, as a share of their desired connection (closeness-weighted "
        "contact-equivalents per day). Calibrated jointly with population.desired_contacts_median "
        "(experiments/calibrate.py, step population).",
    )
    bereavement_shock: float = assumption(
        0.3, "Jump toward 1 in loneliness when a tie dies, per unit of the tie's closeness (fraction of the "
        "remaining gap): losing a partner hurts most (Freak-Poli et al. 2022; Niino et al. 2024: loneliness "
        "peaks right after spousal death). Assumption for the size.",
        low=0.15, high=0.6, ge=0, le=1,
    )


class HabitsConfig(Strict):
    """Step 5b, habits: smile/kindness habit strength grows with practice and fades without it."""

    initial_mean: float = probability(0.3, "Mean smile/kindness habit strength at day 0 (0–1).")
    gain_per_act: float = rate(
        0.00315,
        "Habit gain per smile or kind act given, times (1 - habit). Calibrated so the default town's mean "
        "habit at its steady state is the reference 0.3 (experiments/calibrate.py habits).")
    kind_act_weight: float = assumption(
        3.0, "A kind act counts as this many smiles for habit growth. Assumption.",
        low=1.5, high=6.0, ge=0,
    )
    fade_days: float = Field(
        66.0,
        gt=0,
        description="e-folding time, days, of habit strength without practice. Lally et al. 2010: median "
        "66 days to automaticity.",
    )


class TieKindConfig(Strict):
    """How ties of one kind behave: how often they meet, how close they are, how often they end."""

    rate_per_day: float = rate(0.3, "Meeting rate of a tie of closeness 1, per day (probability 1 - exp(-rate)).")
    closeness_mean: float = Field(0.5, gt=0, lt=1, description="Mean closeness (0–1) of new ties of this kind.")
    closeness_concentration: float = Field(
        4.0, gt=0, description="Concentration (a + b) of the Beta distribution of closeness: higher = less spread."
    )
    dissolution_per_year: float = rate(0.0, "Rate at which a tie of this kind ends, per year (before loneliness).")
    connection_weight: float = Field(
        1.0, ge=0, le=1,
        description="Weight (0-1) of a meeting on a tie of this kind in the connection a person feels, in amount and "
        "in closeness (step 5; reported contact counts every meeting). 1 for every kind but household.",
    )


def _kind(rate_per_day: float, mean: float, concentration: float, dissolution: float,
          connection_weight: float = 1.0) -> TieKindConfig:
    return TieKindConfig(rate_per_day=rate_per_day, closeness_mean=mean, closeness_concentration=concentration,
                         dissolution_per_year=dissolution, connection_weight=connection_weight)


class TiesConfig(Strict):
    """Step 6, ties: the six kinds of tie, dissolution (faster for the lonely) and triadic closure.

    A tie of kind k and closeness c meets on a day with probability 1 - exp(-rate_k x c x ...)
    (step 1). Meeting here means any contact: in person, by phone or message. Rates are chosen so a
    person has ~2.5 contacts a day (Mossong et al. 2008 recorded 13.4 contacts a day in person,
    most of them brief; the model counts contacts with ties only); the family and friend rates are
    calibrated (experiments/calibrate.py) to the shares with less-than-monthly contact with relatives
    (15%) and friends (11%) (Eurostat EU-SILC 2015) [C].
    """

    dynamic: bool = Field(True, description="Whether ties dissolve and form during the run.")
    partner: TieKindConfig = Field(
        default_factory=lambda: _kind(3.0, 0.8, 8.0, 0.0),
        description="A co-resident partner: meets nearly every day; ends when one of them dies (divorce and "
        "new partnerships are not modelled). Closeness varies: some partnerships are not close. Assumption.",
    )
    household: TieKindConfig = Field(
        default_factory=lambda: _kind(2.0, 0.6, 6.0, 0.0, 0.15),
        description="Family living together (an adult child with a parent, siblings): meets most days. Assumption. "
        "Its connection weight is 0.15: a co-resident relative is company, not a partner (ELSI-Brazil: living with children "
        "is not associated with loneliness once the partner is accounted for; Wei et al. 2022: living alone's odds "
        "ratio falls from 2.61 to 1.96 net of marital status); set by hand against the panel study (experiments/panel.yaml).",
    )
    family: TieKindConfig = Field(
        default_factory=lambda: _kind(0.188, 0.5, 1.2, 0.0),
        description="Kin living apart. A kin group shares one closeness (close-knit or distant families). Pew "
        "2006: 73% talk to a family member they do not live with on an average day [C]. Rate calibrated (experiments/"
        "calibrate.py, step population) to 15% meeting relatives less than monthly (Eurostat EU-SILC 2015).",
    )
    friend: TieKindConfig = Field(
        default_factory=lambda: _kind(0.245, 0.5, 4.0, 0.1),
        description="Friends. Dissolution 0.1 per year: about half of personal ties are replaced in 7 years "
        "(Mollenhorst, Volker & Flap 2014; ln 2 / 7). Rate calibrated (experiments/calibrate.py, step "
        "population) to 11% meeting friends less than monthly (Eurostat EU-SILC 2015).",
    )
    work: TieKindConfig = Field(
        default_factory=lambda: _kind(0.6, 0.4, 6.0, 0.0),
        description="Colleagues in a work team: most workdays while employed; the ties end at retirement. Assumption.",
    )
    acquaintance: TieKindConfig = Field(
        default_factory=lambda: _kind(0.25, 0.2, 6.0, 0.0),
        description="Neighbours, fellow group members and people met by chance: a few times a month; stable over "
        "the run's horizon (no dissolution). Assumption.",
    )
    loneliness_weight: float = assumption(
        1.0, "Dissolution multiplier per unit loneliness of each end (withdrawal, Cacioppo et al. 2009). Assumption.",
        low=0.5, high=2.0, log=True, ge=0,
    )
    triadic_closure_per_year: float = rate(
        0.272,
        "Attempts per person per year to befriend a friend's friend (a new friend tie). Calibrated so that "
        "friend ties formed balance those dissolved: the baseline mean degree is stationary "
        "(tests/test_behaviour.py).",
    )
    new_tie_closeness: float = assumption(
        0.3, "Closeness (0–1) of a tie formed during the run. Assumption.",
        low=0.15, high=0.5, gt=0, lt=1,
    )
    homophily_loneliness: float = Field(
        0.0, ge=0, le=50,
        description="Homophily in tie formation beyond age: a friend's friend k becomes i's friend with probability "
        "exp(-h |L_i - L_k|), so people befriend people whose loneliness is like theirs (h; 0 = off, the default). "
        "Lonely people cluster in networks (Cacioppo, Fowler & Christakis 2009) but whether by selection or by "
        "contagion is not settled, and no published figure gives h: off by default, a switch for modellers.",
    )
    closeness_days: float = assumption(
        180.0, "e-folding time, days, of a tie's closeness back to its base when no kind acts keep it up "
        "(relationships fade without investment; kind acts lift closeness by kindness.closeness_gain). Assumption.",
        low=90.0, high=360.0, log=True, gt=0,
    )

    def kinds(self) -> list[TieKindConfig]:
        """The six kinds in code order (sim._core.TIE_KINDS)."""
        return [self.partner, self.household, self.family, self.friend, self.work, self.acquaintance]


class HealthConfig(Strict):
    """Step 7, health: a 0..1 physiological reserve worn by loneliness and isolation."""

    wear_per_year_lonely: float = assumption(
        0.05, "Health lost per year at loneliness 1 (reserve units 0–1). Assumption.",
        low=0.025, high=0.1, log=True, ge=0,
    )
    wear_per_year_isolated: float = assumption(
        0.05, "Health lost per year while isolated. Assumption.",
        low=0.025, high=0.1, log=True, ge=0,
    )
    recovery_per_year: float = assumption(
        0.5, "Rate, per year, of recovery toward the age-expected reserve. Assumption.",
        low=0.25, high=1.0, log=True, ge=0,
    )
    mood_buffer: float = assumption(
        0.5, "Share of wear removed at mood +1 (positive affect buffers stress). Assumption.",
        low=0.25, high=0.75, ge=0, le=1,
    )
    smile_buffer: float = assumption(
        0.3, "Share of wear removed by a day rich in smiles (Kraft & Pressman 2012: faster recovery). Assumption.",
        low=0.15, high=0.6, ge=0, le=1,
    )


class MortalityConfig(Strict):
    """Step 8, mortality: baseline hazard x hazard ratios (Wang et al. 2023)."""

    baseline: Literal["life_table", "gompertz"] = Field(
        "life_table",
        description="Baseline hazard per year: US 2022 SSA period life table (log-linear between tabulated "
        "ages, by sex) or a Gompertz law (docs/science.md §1).",
    )
    gompertz_a_per_year: float = Field(9.11e-5, gt=0, description="Gompertz A, per year (sex-averaged fit 40–85).")
    gompertz_b_per_year: float = Field(0.0792, gt=0, description="Gompertz β, per year of age (doubling ≈ 8.75 y).")
    hr_isolation: float = Field(
        1.462, gt=0, description="Hazard ratio of being isolated now (true isolation index >= 2) vs not. Calibrated "
        "(experiments/calibrate.py hazard_ratios) so that a cohort analysis like those Wang et al. 2023 pooled "
        "(exposure surveyed once at baseline, Cox adjusted for age and sex: experiments/mortality.yaml) finds their "
        "1.32 (95% CI 1.26–1.39): a ratio measured once is diluted, as people move in and out of isolation and "
        "the survey misclassifies some. Set 1.32 to use the published marginal ratio as it is."
    )
    hr_loneliness: float = Field(
        1.106, gt=0, description="Hazard ratio of being lonely now (true UCLA-3 score >= 6) vs not. Calibrated with "
        "hr_isolation so the same cohort analysis finds Wang et al. 2023's 1.14 (95% CI 1.08–1.20); below 1.14 "
        "because the lonely are more often isolated too (which a marginal ratio absorbs), more than dilution "
        "lowers it."
    )
    combination: Literal["multiplicative", "max", "additive"] = Field(
        "multiplicative",
        description="How the two ratios combine for someone both isolated and lonely: multiplicative "
        "(independent effects: a x b), max (one shared pathway: the larger), additive (excess risks "
        "add: 1 + (a - 1) + (b - 1)). The published HRs are marginal; see docs/model.md.",
    )
    simulate_deaths: bool = Field(False, description="Draw deaths (closed cohort). Off: hazards are reported only.")

