"""Settings values entering PromQL: one quoting function, and label matchers parsed as PromQL reads them.

A value pasted between double quotes ends the string at its first ``"`` and means something else at a ``\\``;
every settings value that becomes part of a query goes through ``escape``/``quote``, and a matcher list a
setting holds (an SLO's ``selector``) is parsed with Go's string rules and written back in one canonical form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from components.model import check_chars, check_re2

LABEL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*", re.ASCII)
OPERATORS = ("=~", "!~", "!=", "=")
_SIMPLE_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\", '"': '"'}


def escape(value: str) -> str:
    """``value`` as the inside of a PromQL double-quoted string (Go's rules: ``\\`` and ``"`` escaped); a value
    with a control or invisible character is refused (it has no place in a query)."""
    check_chars(value)
    return value.replace("\\", "\\\\").replace('"', '\\"')


def quote(value: str) -> str:
    """``value`` as a PromQL string literal."""
    return f'"{escape(value)}"'


def unquote(body: str) -> str:
    """The value of the inside of a double-quoted PromQL string (Go's ``strconv.Unquote``); ``ValueError``
    for an escape Go refuses (``\\q``, ``\\'``) or a raw line break."""
    out: list[str] = []
    index = 0
    while index < len(body):
        char = body[index]
        if char in "\n\r":
            raise ValueError("a string may not hold a line break")
        if char != "\\":
            out.append(char)
            index += 1
            continue
        code = body[index + 1:index + 2]
        if code in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[code])
            index += 2
            continue
        width = {"x": 2, "u": 4, "U": 8}.get(code)
        digits = body[index + 2:index + 2 + width] if width else body[index + 1:index + 4]
        if width and re.fullmatch(rf"[0-9A-Fa-f]{{{width}}}", digits, re.ASCII):
            out.append(chr(int(digits, 16)))
            index += 2 + width
        elif not width and re.fullmatch(r"[0-7]{3}", digits, re.ASCII) and int(digits, 8) < 256:
            out.append(chr(int(digits, 8)))
            index += 4
        else:
            raise ValueError(f"unknown escape sequence \\{code}")
    return "".join(out)


@dataclass(frozen=True)
class Matcher:
    name: str
    operator: str
    value: str

    def __str__(self) -> str:
        return f"{self.name}{self.operator}{quote(self.value)}"


_MATCHER = re.compile(r' *(?P<name>[A-Za-z_][A-Za-z0-9_]*) *(?P<op>=~|!~|!=|=) *"(?P<body>(?:[^"\\]|\\.)*)" *',
                      re.ASCII | re.DOTALL)


def parse_matchers(text: str) -> list[Matcher]:
    """Label matchers written as in a selector without braces (``job="api", route!~"/health"``); ``ValueError``
    naming the first part that is not one.  Values of ``=~``/``!~`` must be RE2 regexes."""
    matchers: list[Matcher] = []
    position = 0
    while True:
        match = _MATCHER.match(text, position)
        if not match:
            raise ValueError(f"{text!r} is not a list of label matchers such as job=\"internet-id-api\", "
                             f"route!=\"/x\" (at {text[position:position + 20]!r})")
        try:
            value = unquote(match["body"])
        except ValueError as error:
            raise ValueError(f"{text!r}: the value of {match['name']} is no PromQL string ({error})") from None
        check_chars(value)
        if match["op"] in ("=~", "!~"):
            check_re2(value)
        matchers.append(Matcher(match["name"], match["op"], value))
        position = match.end()
        if position == len(text):
            return matchers
        if text[position] != ",":
            raise ValueError(f"{text!r}: expected ',' between matchers at {text[position:position + 20]!r}")
        position += 1


def canonical_matchers(matchers: list[Matcher]) -> str:
    """The canonical text of ``matchers``: ``name op "value"``, joined by ``, ``."""
    return ", ".join(str(matcher) for matcher in matchers)
