"""Reading data tables (TOML) with errors that name the file, the key and the bad value.

A `Table` wraps one TOML table and remembers where it came from. Readers ask for
typed values with bounds; anything wrong raises `DataError` with a message like

    game/rules/data/aircraft.toml: aircraft.eagle.speed: must be a number > 0, got -5

and `finish()` rejects keys nobody asked for, so a typo never goes unnoticed.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Any

_MISSING: Any = object()


class DataError(ValueError):
    """A data file is missing, unreadable or holds a bad value."""


def load_toml(path: Path) -> Table:
    """Parse a TOML file into a root Table; any failure is a one-line DataError."""
    try:
        with open(path, "rb") as handle:
            raw = tomllib.load(handle)
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except tomllib.TOMLDecodeError as error:
        raise DataError(f"{path}: invalid TOML: {error}") from None
    except UnicodeDecodeError:
        raise DataError(f"{path}: invalid TOML: not UTF-8 text") from None
    except OSError as error:
        raise DataError(f"{path}: cannot read: {error.strerror}") from None
    return Table(raw, str(path), "")


class Table:
    """A TOML table plus its origin, with typed, bounded accessors."""

    def __init__(self, raw: dict[str, Any], source: str, prefix: str) -> None:
        self.raw = raw
        self.source = source
        self.prefix = prefix
        self._read: set[str] = set()

    def where(self, key: str | None = None) -> str:
        path = self.prefix if key is None else (f"{self.prefix}.{key}" if self.prefix else key)
        return f"{self.source}: {path or '(top level)'}"

    def fail(self, key: str | None, message: str, value: Any = _MISSING) -> DataError:
        got = "" if value is _MISSING else f", got {value!r}"
        return DataError(f"{self.where(key)}: {message}{got}")

    def get(self, key: str, default: Any = _MISSING) -> Any:
        """The raw value (for shapes the typed readers do not cover); required by default."""
        self._read.add(key)
        if key in self.raw:
            return self.raw[key]
        if default is _MISSING:
            raise self.fail(key, "is required")
        return default

    def keys(self) -> list[str]:
        return list(self.raw)

    def number(
        self,
        key: str,
        *,
        default: Any = _MISSING,
        min: float | None = None,
        max: float | None = None,
        above: float | None = None,
    ) -> float:
        value = self.get(key, default)
        ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        if not ok:
            raise self.fail(key, "must be a number", value)
        self._bounds(key, value, min, max, above, "a number")
        return float(value)

    def integer(
        self,
        key: str,
        *,
        default: Any = _MISSING,
        min: int | None = None,
        max: int | None = None,
    ) -> int:
        value = self.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(key, "must be an integer", value)
        self._bounds(key, value, min, max, None, "an integer")
        return value

    def _bounds(
        self,
        key: str,
        value: float,
        low: float | None,
        high: float | None,
        above: float | None,
        kind: str,
    ) -> None:
        if low is not None and value < low:
            raise self.fail(key, f"must be {kind} >= {low:g}", value)
        if high is not None and value > high:
            raise self.fail(key, f"must be {kind} <= {high:g}", value)
        if above is not None and value <= above:
            raise self.fail(key, f"must be {kind} > {above:g}", value)

    def string(
        self, key: str, *, default: Any = _MISSING, choices: tuple[str, ...] | None = None
    ) -> str:
        value = self.get(key, default)
        if not isinstance(value, str):
            raise self.fail(key, "must be a string", value)
        if choices is not None and value not in choices:
            raise self.fail(key, f"must be one of {', '.join(choices)}", value)
        return value

    def boolean(self, key: str, *, default: Any = _MISSING) -> bool:
        value = self.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(key, "must be true or false", value)
        return value

    def table(self, key: str) -> Table:
        value = self.get(key, _MISSING)
        if not isinstance(value, dict):
            raise self.fail(key, "must be a table", value)
        return Table(value, self.source, self._child(key))

    def tables(self, key: str, *, default: Any = _MISSING) -> list[Table]:
        """An array of tables ([[key]] in TOML)."""
        value = self.get(key, default)
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.fail(key, "must be an array of tables", value)
        return [Table(v, self.source, f"{self._child(key)}[{i}]") for i, v in enumerate(value)]

    def subtables(self, key: str) -> dict[str, Table]:
        """A table of named tables, e.g. [aircraft.eagle], [aircraft.raptor]."""
        parent = self.table(key)
        return {name: parent.table(name) for name in list(parent.raw)}

    def _child(self, key: str) -> str:
        return f"{self.prefix}.{key}" if self.prefix else key

    def finish(self) -> None:
        """Reject keys that no reader asked for (typos, stale settings)."""
        unknown = [k for k in self.raw if k not in self._read]
        if unknown:
            raise self.fail(unknown[0], "is not a known key")
