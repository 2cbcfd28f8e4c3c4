# SPDX-License-Identifier: MIT
"""The embedded chat's interface strings by language; a token's `locale` picks one ("fr-CA" → "fr"),
English when the language has none.

Around the answers, the fixed sentences an end user may read (refusals, limits, "no rows" answers,
errors of an empty question) are translated with Django's gettext from the catalogue in
`chat2chart/conversations/locale/<language>/LC_MESSAGES/django.po` (compiled `.mo` committed beside it;
`make messages` rebuilds both). The narratives themselves (numbers described in sentences), suggested
questions, chart titles and column names stay in English; so do refusals of a token that cannot be
read (its locale is unknown then)."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext, gettext_noop

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Ask about your data",
        "greeting": "Hi {name}, ask a question in plain words.",
        "placeholder": "e.g. total revenue by month",
        "question": "Your question",
        "ask": "Ask",
        "cancel": "Cancel",
        "planning": "Understanding the question…",
        "querying": "Running the query…",
        "rendering": "Drawing the chart…",
        "ready": "The answer is ready.",
        "cancelled": "The answer was cancelled.",
        "unavailable": "This chat is not available.",
        "suggested": "Suggested questions",
    },
    "fr": {
        "title": "Interrogez vos données",
        "greeting": "Bonjour {name}, posez une question avec vos mots.",
        "placeholder": "p. ex. chiffre d’affaires total par mois",
        "question": "Votre question",
        "ask": "Demander",
        "cancel": "Annuler",
        "planning": "Compréhension de la question…",
        "querying": "Exécution de la requête…",
        "rendering": "Dessin du graphique…",
        "ready": "La réponse est prête.",
        "cancelled": "La réponse a été annulée.",
        "unavailable": "Ce chat n’est pas disponible.",
        "suggested": "Questions suggérées",
    },
    "de": {
        "title": "Fragen Sie Ihre Daten",
        "greeting": "Hallo {name}, stellen Sie Ihre Frage in eigenen Worten.",
        "placeholder": "z. B. Umsatz pro Monat",
        "question": "Ihre Frage",
        "ask": "Fragen",
        "cancel": "Abbrechen",
        "planning": "Frage wird verstanden…",
        "querying": "Abfrage läuft…",
        "rendering": "Diagramm wird gezeichnet…",
        "ready": "Die Antwort ist fertig.",
        "cancelled": "Die Antwort wurde abgebrochen.",
        "unavailable": "Dieser Chat ist nicht verfügbar.",
        "suggested": "Vorgeschlagene Fragen",
    },
}


# The fixed English sentences `localized` translates (exact sentences; others stay as they are).
NOT_AVAILABLE = gettext_noop("This chat is not available.")
QUESTIONS_USED_UP = gettext_noop("This chat cannot answer more questions this month.")
YOUR_QUESTIONS_USED_UP = gettext_noop(
    "You have asked all the questions this chat answers this month. Ask again next month."
)
TOO_MANY_QUESTIONS = gettext_noop("Too many questions. Try again in %(seconds)s seconds.")
TOO_MANY_REQUESTS = gettext_noop("Too many requests. Try again in %(seconds)s seconds.")
NO_ROWS = gettext_noop("No rows match this question; try widening the filters.")
EMPTY_QUESTION = gettext_noop("content: ask a question about the table.")
BAD_BODY = gettext_noop('Send a JSON object: {"content": "your question"}.')
UNEXPECTED = gettext_noop(
    "Something went wrong on our side while answering. The error has been logged; try again."
)


def localized(locale: str, text: str, **values: object) -> str:
    """`text` (one of the sentences above) in the token's `locale` language, `%(name)s` filled from
    `values`; unchanged (English) when the catalogue has no translation of it."""
    if not text:
        return text  # gettext("") is the catalogue's header
    language, _ = strings_for(locale)
    with translation.override(language):
        translated = gettext(text)
    return translated % values if values else translated


def strings_for(locale: str) -> tuple[str, dict[str, str]]:
    """(the language used, its strings) for a BCP 47 `locale`."""
    language = locale.replace("_", "-").split("-", 1)[0].lower()
    if language not in STRINGS:
        language = "en"
    return language, STRINGS[language]
