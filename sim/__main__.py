"""``python -m sim`` is the same as the ``lonesim`` command."""

from sim.cli import main

main(prog_name="lonesim")
