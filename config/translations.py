"""Compile the translations in locale/ (.po, kept in git) into the .mo files Django reads.

Babel does it in Python, so a fresh machine needs no GNU gettext: `make run` runs this module,
and the test session does before it starts (conftest.py). Extracting new strings does need
gettext's xgettext (`make messages`, docs/web.md).
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


def compile_messages(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """Write each .po's .mo when it is missing or older than its .po; return the ones written.
    Fuzzy entries are left out (Django's msgfmt default), but not a catalog whose header alone
    is marked fuzzy."""
    written = []
    for po in sorted(locale_dir.glob("*/LC_MESSAGES/*.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalog = read_po(source, locale=po.parent.parent.name)
        catalog.fuzzy = False
        tmp = mo.with_suffix(".mo.tmp")
        with tmp.open("wb") as target:
            write_mo(target, catalog)
        tmp.replace(mo)  # atomic: a server reading the old file never sees half a new one
        written.append(mo)
    return written


if __name__ == "__main__":
    for path in compile_messages():
        print(f"compiled {path.relative_to(LOCALE_DIR.parent)}")
