"""Batches of runs: where they execute (``executors``), how their folders are laid out (``layout``),
sweeps over parameters (``sweep``) and the tables and figures rebuilt from their folders (``report``)."""
