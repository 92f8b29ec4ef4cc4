"""The functions of a product team, and how people write their names."""

from __future__ import annotations

import re

FUNCTIONS = (
    "sales",
    "marketing",
    "customer_success",
    "engineering",
    "design",
    "product",
    "leadership",
)
UNKNOWN = "unknown"

# How people name each function in front matter, rosters, flags and questions.
_ALIASES = {
    "sales": ["sales", "sale", "account executive", "account executives", "ae", "sdr", "bdr", "sales team"],
    "marketing": ["marketing", "mktg", "growth", "pmm", "product marketing"],
    "customer_success": [
        "customer success",
        "customer_success",
        "customer-success",
        "cs",
        "csm",
        "csms",
        "support",
        "customer support",
        "success",
    ],
    "engineering": ["engineering", "eng", "engineers", "engineer", "dev", "devs", "developers", "r&d", "platform"],
    "design": ["design", "designers", "designer", "ux", "ui", "ux research", "research"],
    "product": ["product", "pm", "pms", "product management", "product manager", "product managers"],
    "leadership": ["leadership", "exec", "execs", "executive", "executives", "management", "ceo", "cto", "founders"],
}
_LOOKUP = {alias: name for name, aliases in _ALIASES.items() for alias in aliases}

# Only unambiguous phrases count when a function is named inside a free-text question:
# "research" or "success" alone are too common as ordinary words.
_QUESTION_PHRASES = {
    "sales": ["sales", "sales team", "account executives", "our aes"],
    "marketing": ["marketing"],
    "customer_success": ["customer success", "cs team", "csms", "customer support", "support team"],
    "engineering": ["engineering", "engineers", "eng team", "developers"],
    # bare "design" and "product" are ordinary words ("the design of the app"); they count only
    # where they stand as the subject of a verb of hearing or saying
    "design": [
        "design team",
        "designers",
        "ux team",
        "did design",
        "does design",
        "has design",
        "design heard",
        "design said",
        "design found",
        "design learn",
        "design learned",
        "design think",
        "design thinks",
    ],
    "product": [
        "product team",
        "product managers",
        "product management",
        "pms",
        "did product",
        "does product",
        "has product",
        "product said",
        "product thinks",
        "product think",
    ],
    "leadership": ["leadership", "execs", "executives", "the founders"],
}


def normalize_team(value: str | None) -> str | None:
    """Map a written function name to its canonical form; None if it is not one we know.

    >>> normalize_team("Customer Success")
    'customer_success'
    """
    if value is None:
        return None
    key = re.sub(r"\s+", " ", str(value).strip().lower())
    if not key:
        return None
    return _LOOKUP.get(key) or _LOOKUP.get(key.replace("_", " ").replace("-", " "))


def display_team(name: str) -> str:
    """The human spelling of a canonical function name."""
    return name.replace("_", " ")


def team_named_in(question: str) -> tuple[str | None, str | None]:
    """The function a question asks about, and the phrase that named it.

    "what did sales hear about onboarding?" -> ("sales", "sales"). Returns (None, None) when the
    question names no function, or names more than one (then it is not scoped).
    """
    text = " " + re.sub(r"[^a-z&]+", " ", question.lower()) + " "
    found: dict[str, str] = {}
    for team, phrases in _QUESTION_PHRASES.items():
        for phrase in sorted(phrases, key=len, reverse=True):
            if f" {phrase} " in text:
                found[team] = phrase
                break
    # "product design" names design, not product
    if "design" in found and "product" in found and " product design " in text:
        found.pop("product")
    if len(found) != 1:
        return None, None
    ((team, phrase),) = found.items()
    return team, phrase


# Who counts as the customer's side of a conversation rather than a function of the team.
OUTSIDE = ("unknown", "", "customer", "external", "guest")
