"""Argument types shared by the commands: a bad value is an argparse error naming the flag."""

from __future__ import annotations

import argparse
import math

from components.grafana.community import base_url_problem
from components.operator.http import check_url


def seconds(text: str) -> float:
    """A finite, non-negative number of seconds."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value >= 0 or math.isinf(value):
        raise argparse.ArgumentTypeError(f"{text!r} must be a finite number of seconds >= 0")
    return value


def positive_seconds(text: str) -> float:
    """A finite number of seconds above zero (timeouts)."""
    value = seconds(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be more than 0 seconds")
    return value


def http_url(text: str) -> str:
    """An absolute http(s) URL, without a trailing slash."""
    try:
        return check_url(text, "URL")
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error).removeprefix("URL ")) from None


def download_url(text: str) -> str:
    """An https URL (plain http on loopback) things are downloaded from and then trusted."""
    url = http_url(text)
    problem = base_url_problem(url)
    if problem:
        raise argparse.ArgumentTypeError(f"{text!r} {problem}")
    return url
