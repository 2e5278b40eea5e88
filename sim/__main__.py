"""``python -m sim`` is the same as the ``lonesim`` command."""

from sim.cli import app

app(prog_name="lonesim")
