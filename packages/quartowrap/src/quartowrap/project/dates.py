"""Quarto's `date:` values: `today`, `now`, `last-modified`, and dates printed by `date-format`.

Quarto (quarto.org, Dates) replaces `today`/`now` with the render date and `last-modified`
with the file's modification date, and prints any full date in `date-format` (default
`long`: "December 2, 2026" in English).  A build must be reproducible, so "today" is the
day of SOURCE_DATE_EPOCH when it is set.  Month names follow `lang:` for the languages KCE
publishes in; a value that is not a full date (e.g. "2022") is printed as written.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Any

from quartowrap.project.language import base_language

_MONTHS = {
    "en": "January February March April May June July August September October November December",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
}
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?$")
# dayjs tokens Quarto's custom date formats use, longest first.
_TOKENS = re.compile(r"YYYY|MMMM|MMM|MM|M|DD|D|YY")


def _today() -> dt.date:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).date()
    return dt.date.today()


def resolve_date(value: Any, source: Path | None = None) -> dt.date | str | None:
    """The date a `date:` value stands for, or the value itself when it is no full date."""
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if text in ("today", "now"):
        return _today()
    if text == "last-modified":
        if source is not None and source.is_file():
            return dt.datetime.fromtimestamp(source.stat().st_mtime, tz=dt.UTC).date()
        return _today()
    match = _ISO.match(text)
    if match:
        try:
            return dt.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return text
    return text


def format_date(
    value: Any, *, lang: Any = None, date_format: Any = None, source: Path | None = None
) -> str | None:
    """`value` as Quarto prints it (`date-format`: iso, short, medium, long, full or tokens)."""
    date = resolve_date(value, source)
    if date is None or isinstance(date, str):
        return date
    language = base_language(lang) or "en"
    months = _MONTHS.get(language, _MONTHS["en"]).split()
    style = str(date_format or "long")
    if style == "iso":
        return date.isoformat()
    if style == "short":
        return (
            f"{date.month}/{date.day}/{date.year % 100:02d}"
            if language == "en"
            else (f"{date.day:02d}/{date.month:02d}/{date.year}")
        )
    if style in ("medium", "long", "full"):
        month = months[date.month - 1]
        if style == "medium":
            month = month[:3]
        if language == "en":
            text = f"{month} {date.day}, {date.year}"
        elif language == "de":
            text = f"{date.day}. {month} {date.year}"
        else:
            text = f"{date.day} {month} {date.year}"
        if style == "full":
            weekday = date.strftime("%A") if language == "en" else ""
            text = f"{weekday}, {text}" if weekday else text
        return text
    values = {
        "YYYY": f"{date.year}",
        "YY": f"{date.year % 100:02d}",
        "MMMM": months[date.month - 1],
        "MMM": months[date.month - 1][:3],
        "MM": f"{date.month:02d}",
        "M": f"{date.month}",
        "DD": f"{date.day:02d}",
        "D": f"{date.day}",
    }
    return _TOKENS.sub(lambda m: values[m.group(0)], style)
