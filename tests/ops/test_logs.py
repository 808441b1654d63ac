"""--log-format json: one JSON object a line, with the record's extra fields."""

from __future__ import annotations

import io
import json
import logging

import pytest

from game.ops.logs import TEXT_FORMAT, JsonFormatter, configure_logging


def one_line(record_maker) -> dict:  # noqa: ANN001
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("test.json")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        record_maker(logger)
    finally:
        logger.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1, lines
    return json.loads(lines[0])


def test_a_line_has_time_level_logger_message_and_the_extra_fields():
    line = one_line(
        lambda log: log.warning(
            "dropping %s: %s", "ada", "timed out", extra={"player": "ada", "seconds": 5.0}
        )
    )
    assert list(line) == ["time", "level", "logger", "message", "player", "seconds"]
    assert line["level"] == "WARNING"
    assert line["logger"] == "test.json"
    assert line["message"] == "dropping ada: timed out"
    assert (line["player"], line["seconds"]) == ("ada", 5.0)
    assert line["time"].endswith("Z") and len(line["time"]) == len("2026-01-01T00:00:00.000Z")


def test_what_json_cannot_hold_is_written_as_text_and_newlines_stay_inside_the_line():
    line = one_line(
        lambda log: log.info("two\nlines", extra={"where": ("127.0.0.1", 5000), "s": {1}})
    )
    assert line["message"] == "two\nlines"
    assert line["where"] == ["127.0.0.1", 5000]
    assert line["s"] == "{1}"


def test_an_exception_comes_with_its_traceback():
    def fail(log):  # noqa: ANN001, ANN202
        try:
            raise ValueError("bad")
        except ValueError:
            log.exception("it broke")

    line = one_line(fail)
    assert line["message"] == "it broke"
    assert line["exception"].startswith("Traceback") and "ValueError: bad" in line["exception"]


@pytest.mark.parametrize(("fmt", "json_lines"), [("json", True), ("text", False)])
def test_configure_logging_picks_the_format(monkeypatch, fmt, json_lines):
    seen = {}
    monkeypatch.setattr(logging, "basicConfig", lambda **options: seen.update(options))
    configure_logging("DEBUG", fmt)
    assert seen["level"] == "DEBUG"
    if json_lines:
        (handler,) = seen["handlers"]
        assert isinstance(handler.formatter, JsonFormatter) and seen["force"] is True
    else:
        assert seen["format"] == TEXT_FORMAT == "%(asctime)s %(levelname)s %(message)s"
