"""The message catalogue: every fixed word of what people read, in the language of the process.

Messages are written in English in the code (`words.t("Roles")`, `words.tn("{n} duty", "{n}
duties", n)`) and translated by a gettext catalogue per language (`<language>.po` beside this module,
read with Babel at first use). English needs no catalogue: its messages are the msgids. Babel also
gives each language its lists ("a, b, and c" / "a、b和c") and numbers; titles are set in the
language's own marks (《…》 in Chinese, “…” in English).

A message with values names them (`{duration}`), so a translation can put them in its own order.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from engine.errors import SopflowError
from engine.time.durations import Duration, Unit

LANGUAGES = ("en", "zh-CN")
"""The languages sopflow speaks; a process's `locale` is one of them."""
DEFAULT = "en"
_HERE = Path(__file__).parent


def N_(message: str) -> str:
    """Marks a message for the catalogue where it is kept as data and translated later, at output
    time (`words.t(TABLE[key])`)."""
    return message


@dataclass(frozen=True, slots=True)
class Words:
    """The fixed words of one language."""

    code: str
    """The BCP 47 tag, as a page's `lang` attribute wants it (`zh-CN`)."""
    messages: dict[str, str | tuple[str, ...]] = field(default_factory=dict, repr=False)

    def t(self, message: str, **values: Any) -> str:
        """`message` in this language, its `{named}` values filled in."""
        translated = self.messages.get(message) or message
        assert isinstance(translated, str)
        return translated.format(**values) if values else translated

    def tn(self, singular: str, plural: str, n: int, **values: Any) -> str:
        """The form of `singular`/`plural` for the count `n` (given to the message as `{n}`)."""
        found = self.messages.get(singular)
        forms = (found,) if isinstance(found, str) and found else found  # one form for every count
        if not isinstance(forms, tuple) or not forms[0]:
            forms = (singular, plural)
        text = forms[0] if len(forms) == 1 or n == 1 else forms[1]  # one form (Chinese) or two
        return text.format(n=self.number(n), **values)

    @property
    def babel(self) -> str:
        return self.code.replace("-", "_")

    def title(self, text: str) -> str:
        """A document's or form's title as the language sets it apart in running text."""
        return f"《{text}》" if self.code.startswith("zh") else f"“{text}”"

    def join(self, items: list[str] | tuple[str, ...], *, alternatives: bool = False) -> str:
        """Items as a list in running text: "a, b, and c", or "a, b, or c" for alternatives."""
        from babel.lists import format_list

        style: Literal["standard", "or"] = "or" if alternatives else "standard"
        return format_list(list(items), style=style, locale=self.babel) if items else ""

    def number(self, value: float) -> str:
        from babel.numbers import format_decimal

        return format_decimal(value, locale=self.babel)

    def percent(self, share: float) -> str:
        from babel.numbers import format_percent

        return format_percent(share, format="#,##0.#%", locale=self.babel)

    @property
    def spaced(self) -> bool:
        """Whether the language puts spaces between words (Chinese does not)."""
        return not self.code.startswith("zh")

    def span(self, delta: timedelta) -> str:
        """A length of time to the minute, largest unit first: "1 day 2 hours" / "1天2小时"."""
        minutes = max(int(delta.total_seconds() // 60), 0)
        days, minutes = divmod(minutes, 24 * 60)
        hours, minutes = divmod(minutes, 60)
        parts = [
            self.tn(*_UNIT_WORDS[unit], amount)
            for unit, amount in ((Unit.DAY, days), (Unit.HOUR, hours), (Unit.MINUTE, minutes))
            if amount
        ]
        return (" " if self.spaced else "").join(parts) or self.tn(*_UNIT_WORDS[Unit.MINUTE], 0)

    def country(self, code: str) -> str:
        """A country's name for an ISO 3166 code (`CN` → "China" / "中国")."""
        from babel import Locale

        return str(Locale.parse(self.babel).territories.get(code.upper(), code))

    def timezone(self, name: str) -> str:
        """An IANA timezone as a place: `Asia/Shanghai` → "China (Shanghai) Time" / "中国（上海）时间"."""
        from babel.dates import get_timezone_location

        return str(get_timezone_location(name, locale=self.babel))

    def duration(self, duration: Duration) -> str:
        """A duration in words: `2h` as "2 hours" / "2小时"."""
        singular, plural = _UNIT_WORDS[duration.unit]
        return self.tn(singular, plural, duration.amount)


_UNIT_WORDS = {
    Unit.MINUTE: (N_("{n} minute"), N_("{n} minutes")),
    Unit.HOUR: (N_("{n} hour"), N_("{n} hours")),
    Unit.DAY: (N_("{n} day"), N_("{n} days")),
    Unit.WEEK: (N_("{n} week"), N_("{n} weeks")),
    Unit.WORKING_MINUTE: (N_("{n} working minute"), N_("{n} working minutes")),
    Unit.WORKING_HOUR: (N_("{n} working hour"), N_("{n} working hours")),
    Unit.WORKING_DAY: (N_("{n} working day"), N_("{n} working days")),
    Unit.MONTH: (N_("{n} month"), N_("{n} months")),
    Unit.YEAR: (N_("{n} year"), N_("{n} years")),
}
"""Each unit's singular and plural; a language with one form translates the singular alone."""


@functools.cache
def words(code: str = DEFAULT) -> Words:
    """The words of language `code` (one of LANGUAGES); SopflowError for any other."""
    if code not in LANGUAGES:
        raise SopflowError(f"sopflow has no words in '{code}'; it speaks {', '.join(LANGUAGES)}")
    if code == DEFAULT:
        return Words(code)
    from babel.messages.pofile import read_po

    with (_HERE / f"{code.replace('-', '_')}.po").open("rb") as stream:
        catalog = read_po(stream, locale=code.replace("-", "_"))
    messages: dict[str, str | tuple[str, ...]] = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        text = message.string
        messages[key] = text if isinstance(text, str) else tuple(text or ())
    return Words(code, messages)
