"""``python -m components``: the operator's commands (``components/cli.py``)."""

import sys

try:
    from components.cli import main
except ModuleNotFoundError as error:  # a Python without the project's packages: say which, and where they are
    sys.exit(f"error: {error.name} is not installed in this Python ({sys.executable}): run the command in the "
             "project's .venv (scripts/bootstrap creates it, `. .venv/bin/activate` enters it), or for the dev "
             "stack through scripts/dev, which uses it")

sys.exit(main())
