"""``python -m cli``: the ``parlqa`` command."""

from cli.main import app

app(prog_name="parlqa")
