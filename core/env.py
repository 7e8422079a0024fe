"""Typed environment variables for jingkou/settings.py.

Each reader returns the default when the variable is unset or empty, and otherwise refuses a value
it cannot read with ImproperlyConfigured naming the variable and what it expects, so a typo in an
environment file stops the portal at start-up instead of turning into a surprising setting.
Imported by the settings before Django is set up: nothing here may import models or settings.
"""

import json
import os
from typing import Any

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def _refuse(name: str, value: str, expected: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"Environment variable {name}={value!r} is not {expected}.")


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    if value.lower() in TRUE_WORDS:
        return True
    if value.lower() in FALSE_WORDS:
        return False
    raise _refuse(name, value, "a yes/no value (true, false, 1, 0, yes, no, on, off)")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise _refuse(name, value, "a whole number") from None
    if minimum is not None and number < minimum:
        raise _refuse(name, value, f"a whole number of at least {minimum}")
    return number


def env_float(name: str, default: float, *, minimum: float | None = None) -> float:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        raise _refuse(name, value, "a number") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise _refuse(name, value, "a finite number")
    if minimum is not None and number < minimum:
        raise _refuse(name, value, f"a number of at least {minimum}")
    return number


def env_list(name: str, default: str = "") -> list[str]:
    """A comma-separated list; blanks around and between the commas are dropped."""
    value = _raw(name)
    return [item.strip() for item in (value or default).split(",") if item.strip()]


def env_floats(name: str, default: str, *, count: int) -> tuple[float, ...]:
    """Exactly `count` comma-separated numbers, e.g. a bounding box."""
    value = _raw(name) or default
    items = [item.strip() for item in value.split(",")]
    try:
        numbers = tuple(float(item) for item in items)
    except ValueError:
        raise _refuse(name, value, f"{count} comma-separated numbers") from None
    if len(numbers) != count:
        raise _refuse(name, value, f"{count} comma-separated numbers")
    return numbers


def env_json_object(name: str) -> dict[str, Any]:
    """A JSON object, {} when unset."""
    value = _raw(name)
    if value is None:
        return {}
    try:
        data = json.loads(value)
    except ValueError:
        raise _refuse(name, value, "valid JSON") from None
    if not isinstance(data, dict):
        raise _refuse(name, value, "a JSON object ({...})")
    return data
