# SPDX-License-Identifier: MIT
"""The embedded chat's interface strings by language; a token's `locale` picks one ("fr-CA" → "fr"),
English when the language has none. Answers themselves (narratives, suggestions) stay in English."""

from __future__ import annotations

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


def strings_for(locale: str) -> tuple[str, dict[str, str]]:
    """(the language used, its strings) for a BCP 47 `locale`."""
    language = locale.replace("_", "-").split("-", 1)[0].lower()
    if language not in STRINGS:
        language = "en"
    return language, STRINGS[language]
