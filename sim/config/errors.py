"""The one user-facing error of input files.

:class:`ScenarioError` carries one message that names the file, the key path and (for YAML) the
line; the command line prints it and exits with status 2, never a traceback.
"""


class ScenarioError(Exception):
    """A scenario (or another input file) could not be read or validated. ``str(err)`` is the whole message."""
