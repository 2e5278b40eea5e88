"""The daily kernels, one module per mechanism, run in the order fixed by :mod:`sim.simulation`.

Each kernel is a function of (state arrays, today's contacts, parameters, random stream). Random
numbers in the compiled kernels come from counter-based streams (:mod:`sim.streams`); the slower,
rarer events (tie changes) draw from the run's numpy ``Generator``. Within a phase every person is
updated from the same inputs, so no result depends on the order of people. Most kernels write their
state array in place; a few build a new array and the engine copies it in (contagion's synchronous
update of the emotional states), and phases allocate per-day temporaries of one value per person
(today's smile odds, resting mood, tallies) or per meeting. All work is O(people + ties), in numpy or
compiled loops; there is no Python loop over people.
"""
