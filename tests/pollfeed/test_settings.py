"""The engine's settings (pollfeed/settings.py) and its CLI (`flask pollfeed ...`, also `flask changes ...`)."""
from datetime import timedelta

import pytest

from app import create_app
from pollfeed.settings import SETTINGS, apply


def test_defaults_fill_in_and_text_is_parsed():
    config = {"POLLFEED_SHED_DELAY": "0.5", "POLLFEED_CHANGES_RETENTION": "12h", "POLLFEED_REQUIRE_IF_MATCH": "off"}
    apply(config)
    assert config["POLLFEED_SHED_DELAY"] == 0.5
    assert config["POLLFEED_CHANGES_RETENTION"] == timedelta(hours=12)
    assert config["POLLFEED_REQUIRE_IF_MATCH"] is False
    assert config["POLLFEED_POLL_INTERVAL_VISIBLE"] == 5 and config["POLLFEED_IDEMPOTENCY_TTL"] == timedelta(hours=24)
    assert {s.key for s in SETTINGS} <= set(config)


@pytest.mark.parametrize("key, value, message", [
    ("POLLFEED_SHED_DELAY", "fast", "POLLFEED_SHED_DELAY: not a number: 'fast'"),
    ("POLLFEED_POLL_INTERVAL_VISIBLE", "0", "POLLFEED_POLL_INTERVAL_VISIBLE: 0 is below 1"),
    ("POLLFEED_REQUIRE_IF_MATCH", "maybe", "POLLFEED_REQUIRE_IF_MATCH: not a boolean: 'maybe'"),
    ("POLLFEED_CHANGES_RETENTION", "a week", "POLLFEED_CHANGES_RETENTION: not a duration: 'a week'"),
    ("POLLFEED_POLL_INTERVALL_MAX", "9", "unknown Pollfeed setting(s) POLLFEED_POLL_INTERVALL_MAX"),
])
def test_a_bad_setting_is_refused_by_name(key, value, message):
    with pytest.raises(ValueError) as caught:
        apply({key: value})
    assert str(caught.value).startswith(message)


def test_the_server_refuses_a_bad_variable_when_it_starts(database_url, monkeypatch):
    """The reference server passes its variables to the engine (app/config.py), which checks them."""
    monkeypatch.setenv("SHED_DELAY", "-1")
    with pytest.raises(ValueError, match=r"^POLLFEED_SHED_DELAY: -1.0 is below 0"):
        create_app({"SQLALCHEMY_DATABASE_URI": database_url})


def test_the_cli_under_both_names(runner):
    for group in ("pollfeed", "changes"):
        out = runner.invoke(args=[group, "verify"])
        assert out.exit_code == 0 and "change log consistent" in out.output, out.output
    out = runner.invoke(args=["pollfeed", "compact", "--retention", "a week"])
    assert out.exit_code == 2 and "not a duration: 'a week'" in out.output
    out = runner.invoke(args=["pollfeed", "compact", "--retention", "0s"])
    assert out.exit_code == 0 and "older than 0:00:00" in out.output, out.output
