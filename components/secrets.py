"""Secret settings: a value that is never printed, rendered or exported in plain text.

Inside ``pulumi up`` the value is a secret ``pulumi.Output``; in the render command it is
whatever the stack file holds (usually ciphertext).  Rendered documents never contain the
value itself: they reference a file that the Pulumi shell uploads as a secret.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

REDACTED = "<redacted>"


@dataclass(frozen=True)
class Secret:
    """A secret config value, known only by its config key in anything printed."""

    key: str
    value: Any = field(repr=False, compare=False)
    known: str | None = field(default=None, repr=False, compare=False)
    """The decrypted value when the program already has it (the engine hands config decrypted), so
    settings can check it before any resource exists; None where only ciphertext is at hand (render)."""

    def __str__(self) -> str:
        return REDACTED

    def __repr__(self) -> str:
        return f"Secret({self.key!r}, {REDACTED})"
