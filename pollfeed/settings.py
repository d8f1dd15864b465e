"""The engine's settings: `POLLFEED_*` keys of the app's config, each with a default, checked at init_app.

A value may be given as its type or as the text an environment variable holds ("true", "0.25", "7d"):
`init_app` parses it, writes the parsed value back into `app.config`, and refuses a bad value, or a
`POLLFEED_*` key it does not know (a typo), with a message that names the key. docs/configuration.md
has them all (tested).
"""
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Callable

PREFIX = "POLLFEED_"
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text):
    """'90', '90s', '15m', '12h', '7d', '2w' (or a timedelta) -> timedelta; ValueError otherwise."""
    if isinstance(text, timedelta):
        return text
    m = _DURATION.match(str(text))
    if not m:
        raise ValueError(f"not a duration: {text!r} (use e.g. 90s, 15m, 12h, 7d)")
    return timedelta(seconds=int(m.group(1)) * _UNITS[m.group(2)])


def boolean(value):
    """A setting's text as a bool: true/false, 1/0, yes/no, on/off (any case); a ValueError otherwise."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"not a boolean: {value!r} (use true or false)")


def _number(kind, minimum):
    def parse(value):
        if isinstance(value, bool):
            raise ValueError(f"not a number: {value!r}")
        try:
            number = kind(value)
        except (TypeError, ValueError):
            raise ValueError(f"not {'an integer' if kind is int else 'a number'}: {value!r}") from None
        if number < minimum:
            raise ValueError(f"{number} is below {minimum}")
        return number

    return parse


@dataclass(frozen=True)
class Setting:
    name: str  # without the prefix
    default: Any
    parse: Callable[[Any], Any]
    meaning: str

    @property
    def key(self):
        return PREFIX + self.name


SETTINGS = (
    Setting("REQUIRE_IF_MATCH", True, boolean,
            "PATCH, PUT and DELETE without If-Match or If-Unmodified-Since are 428"),
    Setting("POLL_INTERVAL_VISIBLE", 5, _number(int, 1), "seconds advised in Poll-Interval for a visible page"),
    Setting("POLL_INTERVAL_HIDDEN", 60, _number(int, 0), "seconds advised for a hidden page; 0: stop while hidden"),
    Setting("POLL_INTERVAL_MAX", 300, _number(int, 1), "the longest interval advised under load, seconds"),
    Setting("OVERLOAD_DELAY", 0.05, _number(float, 0.001),
            "seconds of smoothed queue delay above which the advised intervals grow"),
    Setting("SHED_DELAY", 0.25, _number(float, 0), "seconds of queue delay above which polls get 503; 0: never"),
    Setting("LOAD_SMOOTHING", 1.0, _number(float, 0.001), "seconds over which the load signal is smoothed"),
    Setting("CHANGES_RETENTION", timedelta(days=7), parse_duration, "how long `flask pollfeed compact` keeps changes"),
    Setting("IDEMPOTENCY_TTL", timedelta(hours=24), parse_duration,
            "how long the first answer to an Idempotency-Key is kept for its retries"),
    Setting("POLL_PATH", True, boolean, "answer conditional polls (304) ahead of Flask with one SQL statement"),
    Setting("POLL_MEMO", True, boolean, "SQLite: the poll path remembers decisions until the next commit"),
    Setting("CORS", False, boolean,
            "the app answers cross-origin requests: Vary names Origin, and the poll path leaves them to Flask"),
)
BY_KEY = {s.key: s for s in SETTINGS}


def apply(config):
    """Check every POLLFEED_* key of `config`, fill in the defaults, and write the parsed values back."""
    unknown = sorted(k for k in config if k.startswith(PREFIX) and k not in BY_KEY)
    if unknown:
        raise ValueError(f"unknown Pollfeed setting(s) {', '.join(unknown)}; the settings are "
                         f"{', '.join(sorted(BY_KEY))}")
    for setting in SETTINGS:
        value = config.get(setting.key, setting.default)
        try:
            config[setting.key] = setting.parse(value)
        except ValueError as exc:
            raise ValueError(f"{setting.key}: {exc} ({setting.meaning})") from None
