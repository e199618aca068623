"""Operator commands against a running stack: ``verify`` (the production checklist) and ``test-alert``.

Pure pieces (what a stack should have, how an API answer is judged, the result table) are kept
apart from the HTTP calls, so the unit tests exercise them against local stand-in servers.
"""
