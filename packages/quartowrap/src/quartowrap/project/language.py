"""`lang:` and `language:`: the words the engine prints around numbers, in the book's language.

Quarto ships one translation file per language (quarto-cli `src/resources/language/
_language-<lang>.yml`) and lets `language:` override any entry; cross-reference labels
("Figure 3", "Chapter 2") come from its `crossref-*` entries.  This engine prints labels from
the `crossref:` options, so a language fills in those options the author left unset.  The
languages KCE publishes in (en, fr, nl, de) are listed; other languages keep English labels.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# crossref option -> word, per language (Quarto's translation files, `crossref-*` keys).
_LABELS: dict[str, dict[str, str]] = {
    "fr": {
        "fig-prefix": "Figure",
        "tbl-prefix": "Table",
        "lst-prefix": "Listing",
        "eq-prefix": "Équation",
        "sec-prefix": "Section",
        "ch-prefix": "Chapitre",
        "apx-prefix": "Annexe",
        "thm-prefix": "Théorème",
        "lem-prefix": "Lemme",
        "def-prefix": "Définition",
        "exm-prefix": "Exemple",
    },
    "nl": {
        "fig-prefix": "Figuur",
        "tbl-prefix": "Tabel",
        "lst-prefix": "Listing",
        "eq-prefix": "Vergelijking",
        "sec-prefix": "Paragraaf",
        "ch-prefix": "Hoofdstuk",
        "apx-prefix": "Bijlage",
        "thm-prefix": "Stelling",
        "lem-prefix": "Lemma",
        "def-prefix": "Definitie",
        "exm-prefix": "Voorbeeld",
    },
    "de": {
        "fig-prefix": "Abbildung",
        "tbl-prefix": "Tabelle",
        "lst-prefix": "Listing",
        "eq-prefix": "Gleichung",
        "sec-prefix": "Abschnitt",
        "ch-prefix": "Kapitel",
        "apx-prefix": "Anhang",
        "thm-prefix": "Theorem",
        "lem-prefix": "Lemma",
        "def-prefix": "Definition",
        "exm-prefix": "Beispiel",
    },
}


def base_language(lang: Any) -> str | None:
    """`fr-BE` → `fr`; None when `lang` is not a language tag."""
    if not isinstance(lang, str) or not lang.strip():
        return None
    return lang.strip().replace("_", "-").split("-")[0].lower()


def localised_crossref(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """The `crossref:` options with the language's words where the author set none.

    Precedence (highest first): `crossref:` itself, `language:` entries in Quarto's form
    (`crossref-fig-title`, `crossref-ch-prefix`), then the translation for `lang:`.
    """
    crossref = dict(metadata.get("crossref") or {})
    words = dict(_LABELS.get(base_language(metadata.get("lang")) or "", {}))
    overrides = metadata.get("language")
    if isinstance(overrides, Mapping):
        given = {
            k.removeprefix("crossref-"): v
            for k, v in overrides.items()
            if isinstance(k, str) and k.startswith("crossref-") and isinstance(v, str)
        }
        for name, value in given.items():
            words[name] = value
            prefix = name.removesuffix("-title") + "-prefix"
            if name.endswith("-title") and prefix not in given:
                words[prefix] = value  # Quarto: the title is the prefix unless one is given
    for key, value in words.items():
        crossref.setdefault(key, value)
    return crossref
