"""Counter-based random numbers for the compiled kernels: a uniform is a pure function of (key, counter).

The k-th number of a stream with key K is SplitMix64's output for the state K + (k + 1)·γ
(γ = 0x9E3779B97F4A7C15; Steele, Lea & Flood 2014, "Fast splittable pseudorandom number
generators", OOPSLA), i.e. the k-th output of a SplitMix64 generator seeded with K; it passes
BigCrush. A uniform is the top 53 bits divided by 2^53, in [0, 1).

Why counters rather than a generator's sequence:

* **Parallel and still exact.** A number depends only on (key, k), never on which thread computed
  it or in what order, so kernels may run on several cores and give the same bits with any
  number of threads (``tests/test_streams.py`` checks 1 thread against 2).
* **Common random numbers.** Counters are named after what they decide — tie e's meeting today
  uses counter e, person i's emotional transition uses counter i — and keys after (run, day,
  phase). Two scenarios run with the same seed therefore use the same random number for the same
  decision, so they differ only where their parameters differ (lower-variance comparisons of an
  intervention with its baseline), even when one of them draws more numbers elsewhere.
* **No arrays of random numbers.** A kernel makes its numbers as it needs them: no per-day
  allocation of millions of uniforms.

Keys: a run's root key comes from its SeedSequence; the key of phase ``p`` on tick ``t`` (days
simulated so far, burn-in included) is the SplitMix64 mix of root ⊕ mix(t·64 + p), so keys of
different days and phases are unrelated 64-bit values.
"""

from __future__ import annotations

import math

import numpy as np

from sim._core import jit

GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_ONE = np.uint64(1)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2^-53

# Phases of the day that draw random numbers (the key's second coordinate); at most 64.
CONTACTS, SMILES, KIND_ACTS, CONTAGION, SURVEY, PROGRAMMES, LIFE_EVENTS = range(7)


@jit
def mix64(z):
    """SplitMix64's output function (a bijection of uint64)."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@jit
def uniform(key, counter):
    """The counter-th uniform in [0, 1) of the stream ``key`` (both uint64-convertible)."""
    z = mix64(np.uint64(key) + (np.uint64(counter) + _ONE) * GAMMA)
    # the top 53 bits fit an int64 exactly: converting a signed integer is one instruction, an unsigned
    # 64-bit one is a branchy sequence on x86 (same value either way)
    return float(np.int64(z >> _S11)) * _TO_UNIT


@jit
def normal(key, counter):
    """A standard normal deviate from uniforms 2·counter and 2·counter + 1 of stream ``key`` (Box–Muller)."""
    u1 = uniform(key, 2 * counter)
    u2 = uniform(key, 2 * counter + 1)
    return math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2)


@jit
def uniforms(key, start, count):
    """``count`` consecutive uniforms of stream ``key`` from counter ``start`` (float64 array)."""
    out = np.empty(count, np.float64)
    for k in range(count):
        out[k] = uniform(key, start + k)
    return out


def phase_key(root: np.uint64, tick: int, phase: int) -> np.uint64:
    """The stream key of ``phase`` on ``tick`` of a run with root key ``root``."""
    return np.uint64(mix64(np.uint64(root) ^ mix64(np.uint64(tick * 64 + phase))))


def root_key(seed_sequence: np.random.SeedSequence) -> np.uint64:
    """A run's root key: one 64-bit word of its SeedSequence."""
    return np.uint64(seed_sequence.generate_state(1, np.uint64)[0])


def key_of(rng: np.random.Generator | np.uint64 | int) -> np.uint64:
    """The stream key a kernel uses: ``rng`` itself when it is a key, else one 64-bit draw from the Generator.

    Kernels take either, so a test can hand them a seeded Generator and the engine its per-phase keys.
    """
    if isinstance(rng, (int, np.integer)):
        return np.uint64(rng)
    return np.uint64(rng.integers(0, 2**64, dtype=np.uint64))
