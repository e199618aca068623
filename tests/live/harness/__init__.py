"""The live suite's harness: real daemons on loopback, stand-ins for the API and the receivers.

Everything here is started by the fixtures in ``tests/live/conftest.py`` and stopped by them at
session end; nothing needs to run beforehand except Debian's PostgreSQL and Redis being installed and the daemons
built (``scripts/toolchain daemons``; ``scripts/test`` does both).
"""
