"""Exit statuses shared by ``python -m components`` and its operator commands."""

EXIT_USAGE = 2
"""A user error (unknown stack, bad config, bad arguments): one line on stderr."""
EXIT_INTERRUPTED = 130
"""Ctrl-C (128 + SIGINT), as shells report it."""
