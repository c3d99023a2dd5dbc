"""Numbers read from our pages' forms and query strings (primary keys, list filters)."""

from __future__ import annotations

#: The widest primary key a database stores here: a signed 64-bit integer (19 digits).
LARGEST_KEY = 2**63 - 1


def primary_key(value: str) -> int | None:
    """The primary key ``value`` spells in ASCII digits, or None for anything else.

    ``str.isdigit()`` alone is not enough: it accepts "²", which ``int()`` refuses (a 500), and
    other scripts' digits, which ``int()`` reads (ARABIC-INDIC DIGIT ONE is 1). A number past
    64 bits overflows the database driver (SQLite raises), and a very long one ``int()``
    itself refuses.
    """
    if not (value.isascii() and value.isdigit() and len(value) <= len(str(LARGEST_KEY))):
        return None
    number = int(value)
    return number if number <= LARGEST_KEY else None
