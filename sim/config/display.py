"""Plain names and units for everything a reader sees: the one map that reports, figures and the browser page
use instead of code names (``cbt``, ``most_isolated``, ``network.isolation.fraction``).

Keys are the schema's own (programme kinds, targeting rules, summary and time-series columns, dotted parameter
paths); a key missing here falls back to :func:`humanise`, so a new column never shows up blank. The certainty
wording rule of the reports lives here too (:func:`certainty`), so every page says "likely" for the same share.
"""

from __future__ import annotations

#: Programme kinds (sim/config/programmes.py) as a reader knows them.
PROGRAMMES: dict[str, str] = {
    "smile_campaign": "Smile campaign", "big_joy": "Big Joy week (daily kind acts)",
    "befriending": "Befriending visits", "kindness_campaign": "Kindness campaign",
    "phone_calls": "Befriending phone calls", "group_activity": "Group activities",
    "social_cognition": "CBT-type group sessions (social cognition)",
}

#: Targeting rules (sim/targeting.py): who a programme is offered to.
TARGETING: dict[str, str] = {
    "random": "anyone (random)", "loneliest": "the loneliest", "most_isolated": "the most isolated",
    "most_connected": "the best connected", "most_central": "the best connected", "aged_65plus": "people aged 65+",
    "nominated_friends": "friends named by others",
}

#: (display name, unit) of outputs: summary scalars, time-series columns and comparison read-outs.
#: The unit is what an axis title shows in brackets ("" = a count or a plain number).
MEASURES: dict[str, tuple[str, str]] = {
    "loneliness_prevalence": ("Lonely", "share of adults"),
    "isolation_prevalence": ("Socially isolated", "share of adults"),
    "loneliness_prevalence_mean": ("Lonely, mean over days", "share of adults"),
    "isolation_prevalence_mean": ("Socially isolated, mean over days", "share of adults"),
    "loneliness_prevalence_surveyed": ("Lonely (surveyed, UCLA-3)", "share of adults"),
    "isolation_prevalence_surveyed": ("Isolated (surveyed)", "share of adults"),
    "mean_loneliness": ("Mean loneliness", "0–1 scale"),
    "mean_mood": ("Mean mood", "−1 to 1 scale"),
    "mean_health": ("Mean health", "0–1 scale"),
    "mean_habit": ("Mean social habit", "0–1 scale"),
    "content_share": ("Content", "share of adults"),
    "discontent_share": ("Discontent", "share of adults"),
    "mean_relative_hazard": ("Mean relative hazard of death", "× baseline hazard"),
    "expected_deaths_per_1000_py": ("Expected deaths", "per 1,000 person-years"),
    "life_years_lost_per_1000": ("Life-years lost", "per 1,000 adults"),
    "paf_isolation": ("Deaths attributable to isolation", "share of deaths"),
    "paf_loneliness": ("Deaths attributable to loneliness", "share of deaths"),
    "mean_degree": ("Ties per person", "active ties"),
    "contacts_per_person": ("Meetings", "per person per day"),
    "smiles_per_person": ("Smiles", "per person per day"),
    "kind_acts_per_person": ("Kind acts", "per person per day"),
    "alive": ("Adults alive", "people"),
    "deaths_averted_per_1000_enrolled": ("Deaths averted", "per 1,000 enrolled"),
    "deaths_averted_per_1000_residents": ("Deaths averted", "per 1,000 residents"),
    "life_years_gained_per_1000_enrolled": ("Life-years gained", "per 1,000 enrolled"),
    "loneliness_free_years_per_1000_enrolled": ("Loneliness-free years gained", "per 1,000 enrolled"),
    "trial_smd": ("Trial effect on loneliness", "SMD, UCLA-3"),
    "cost_per_1000_enrolled": ("Cost", "per 1,000 enrolled"),
}

#: Dotted parameter paths shown in sweeps and sensitivity analyses.
PARAMETERS: dict[str, str] = {
    "network.isolation.fraction": "Share made structurally isolated",
    "contacts.frequency_multiplier": "Meeting frequency (× baseline)",
    "shocks.0.tie_removal_fraction": "Shock: share of ties suspended",
    "shocks.0.contact_multiplier": "Shock: meeting frequency (× baseline)",
    "population.size": "Town size (adults)",
    "smiles.propensity": "Propensity to smile",
}

#: Tie kinds (sim/_core.TIE_KINDS) with the colour every figure gives them.
TIE_COLOURS: dict[str, str] = {
    "partner": "#d62728", "household": "#ff7f0e", "family": "#9467bd", "friend": "#2ca02c", "work": "#1f77b4",
    "acquaintance": "#9a9a9a",
}

#: Short definitions of the statistics the reports use (the glossary printed under each report).
GLOSSARY: dict[str, str] = {
    "SMD": "Standardised mean difference (Hedges' g): the difference in mean UCLA-3 loneliness score between the "
           "programme group and usual life, divided by their pooled standard deviation. −0.2 is a small effect, "
           "−0.5 a moderate one; negative means less lonely.",
    "UCLA-3": "The three-item UCLA loneliness scale (scores 3–9; 6 or more counts as lonely).",
    "95% interval": "The range that holds the true value in 95% of repeated studies (confidence interval) or the "
                    "middle 95% of the model's uncertainty draws (uncertainty interval).",
    "Draws": "The model's uncertainty draws: published hazard ratios drawn from their 95% intervals, plus the "
             "replicate towns' noise. 'Share of draws' is how often an arm came first across them.",
    "Replicate": "One simulated town with its own random numbers; the spread across replicates is the model's "
                 "chance variation.",
    "Spillover": "The change in loneliness among people who were not enrolled but are one (or two) ties from "
                 "someone who was, in standard deviations (SD) of their loneliness without the programme.",
    "Willingness to pay": "What a commissioner would pay for one unit of benefit; a programme below the line "
                          "buys its benefit for less than that.",
    "Relative hazard": "Each person's risk of dying relative to someone of the same age and sex who is neither "
                       "isolated nor lonely (published hazard ratios).",
    "μ* (Morris)": "The mean absolute change in an output when one parameter moves across its range: larger "
                   "means the output depends more on it.",
    "S1, ST (Sobol')": "Share of the output's variance due to a parameter alone (S1) and with all its "
                       "interactions (ST).",
}

#: The certainty rule (docs/programmes.md): share of uncertainty draws in which an arm comes first.
CERTAINTY_RULE = ("at least 95% of draws: very likely; 75–95%: likely; below 75%: uncertain — the ranking "
                  "could change")


def certainty(share: float) -> str:
    """The words for "in ``share`` of the draws this arm came first", by :data:`CERTAINTY_RULE`.

    >>> certainty(1.0), certainty(0.8), certainty(0.53)
    ('very likely', 'likely', 'uncertain — the ranking could change')
    """
    if share >= 0.95:
        return "very likely"
    if share >= 0.75:
        return "likely"
    return "uncertain — the ranking could change"


def humanise(key: str) -> str:
    """A readable fallback for a key without an entry: ``shocks.1.days`` → ``Shock 2: days``.

    >>> humanise("network.isolation.fraction"), humanise("shocks.1.days"), humanise("mean_degree")
    ('Isolation: fraction', 'Shock 2: days', 'Mean degree')
    """
    parts = key.split(".")
    if len(parts) >= 3 and parts[-2].isdigit():
        head = f"{parts[-3].rstrip('s').replace('_', ' ')} {int(parts[-2]) + 1}"
        return f"{head[:1].upper()}{head[1:]}: {parts[-1].replace('_', ' ')}"
    words = [p.replace("_", " ") for p in parts[-2:]]
    text = ": ".join(words)
    return text[:1].upper() + text[1:]


def programme_name(kind: str) -> str:
    """The reader's name of a programme kind."""
    return PROGRAMMES.get(kind, humanise(kind))


def targeting_name(rule: str) -> str:
    """The reader's name of a targeting rule ("offered to ...")."""
    return TARGETING.get(rule, humanise(rule))


def measure(key: str) -> tuple[str, str]:
    """(display name, unit) of an output or time-series column."""
    return MEASURES.get(key, (humanise(key), ""))


def label(key: str) -> str:
    """An axis title: "Name (unit)", or the name alone when it has no unit."""
    name, unit = measure(key)
    return f"{name} ({unit})" if unit else name


def parameter_name(path: str) -> str:
    """The reader's name of a dotted parameter path."""
    return PARAMETERS.get(path, humanise(path))
