"""Keep the catalogs complete: extract every string marked for translation and update the .po files.

    python -m app.i18n_tools update   # add new strings, drop unused ones, fill English from the source
    python -m app.i18n_tools check    # exit 1 and list the strings that lack a Vietnamese translation

Source strings are English; the Vietnamese catalog translates each one, the English catalog repeats it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from app.i18n import LOCALES, TRANSLATIONS_DIR
from app.settings import BASE_DIR

METHOD_MAP = [
    ("app/migrations/**", "ignore"),
    ("app/**.py", "python"),
    ("templates/**.jinja", "jinja2"),
]
OPTIONS = {
    "templates/**.jinja": {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true", "trimmed": "false"},
}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None}


def extract() -> Catalog:
    catalog = Catalog(project="chophien", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        BASE_DIR,
        method_map=METHOD_MAP,
        options_map=OPTIONS,
        keywords=KEYWORDS,
        strip_comment_tags=True,
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def po_path(locale: str) -> Path:
    return TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po"


def load(locale: str) -> Catalog:
    path = po_path(locale)
    if not path.exists():
        return Catalog(locale=locale, project="chophien", charset="utf-8")
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


def update() -> None:
    template = extract()
    for locale in LOCALES:
        catalog = load(locale)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        if locale == "en":
            for message in catalog:
                if message.id and not message.string:
                    message.string = message.id
        path = po_path(locale)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            write_po(fh, catalog, width=0, omit_header=False, sort_output=True, include_lineno=False)
    print(f"{len(template)} strings; catalogs updated: {', '.join(LOCALES)}")


def missing(locale: str = "vi") -> list[str]:
    """Strings used in the code or templates that the catalog does not translate."""
    catalog = load(locale)
    result = []
    for message in extract():
        if not message.id:
            continue
        found = catalog.get(message.id, context=message.context)
        strings = found.string if found is not None else None
        if isinstance(strings, tuple | list):
            ok = all(strings)
        else:
            ok = bool(strings)
        if not ok or (found is not None and found.fuzzy):
            result.append(message.id if isinstance(message.id, str) else message.id[0])
    return result


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "check"
    if command == "update":
        update()
        return 0
    gaps = missing("vi")
    for text in gaps:
        print(f"missing vi: {text!r}")
    return 1 if gaps else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
