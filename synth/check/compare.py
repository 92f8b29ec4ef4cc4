"""What the offline checker can tell about two statements without a language model: which
content words each asserts or denies, the numbers it gives, the dates it names, and cue phrases
that say a claim is refuted, confirmed or promised. All of it is shallow on purpose: it is
evidence for a low-confidence flag, never proof.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
from dataclasses import dataclass

from ..dates import from_words


def _word_list(words: str) -> list[str]:
    return words.split()


def _word_set(words: str) -> frozenset[str]:
    return frozenset(_word_list(words))


STOPWORDS = _word_set(
    """
    a about above after again against all am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has
    have having he her here hers herself him himself his how i if in into is it its itself just let
    lets me more most my myself of off on once only or other our ours ourselves out over own same
    she should so some such than that the their theirs them themselves then there these they this
    those through to too under until up very was we were what when where which while who whom why
    will with would you your yours yourself also still yet one ones thing things really well get got
    going go make made said say says told tell think thought want wants wanted like much many every
    way lot whether already assume assumes assuming assumed assumption hypothesis idea believe
    belief finding heard hear real good bad big new old sure right maybe probably actually
    """
)
NEGATORS = _word_set(
    """
    not no never none nobody nothing neither nor without cannot cant dont doesnt didnt wont isnt
    arent wasnt werent shouldnt wouldnt hasnt havent hadnt couldnt mustnt hardly non-goal non-goals
    waiting awaiting pending missing lack lacks lacking
    """
)  # "still waiting on the contract" denies the contract, as "we don't have the contract" does
_COPULAS = frozenset(["is", "are", "was", "were", "be", "been", "has", "have", "had", "its", "theyre"])
_BOUNDARY = frozenset(
    ["but", "because", "although", "though", "however", "whereas", "while", "so", "yet", "instead", "except", "unless"]
)
_CONCEPTS = [  # phrases that name one thing in several ways
    (re.compile(r"\bsingle sign[- ]on\b"), "sso"),
    (re.compile(r"\bquick ?books\b"), "quickbooks"),
    (re.compile(r"\bset(?:ting)?[- ]up\b"), "setup"),
    (re.compile(r"\bsign(?:ing)?[- ]up\b"), "signup"),
    (re.compile(r"\be-mail\b"), "email"),
    (re.compile(r"\bun(sign|approv|fund|pai)ed\b"), r"not \1ed"),
    (re.compile(r"\bon[- ]?boarding\b"), "onboarding"),
    (re.compile(r"\bout of scope\b"), "not scope"),
    (re.compile(r"\bnon[- ]goal\b"), "non-goal"),
    (re.compile(r"\b(?:too )?(?:expensive|cheap(?:er)?|costly|pricing|priced|prices)\b"), "price"),
    (re.compile(r"\b(?:connectivity|coverage|reception)\b"), "signal"),
]
ANTONYMS = [
    ("desktop", "phone"),
    ("desktop", "mobile"),
    ("online", "offline"),
    ("manual", "automatic"),
    ("increase", "decrease"),
    ("more", "fewer"),
    ("more", "less"),
    ("faster", "slower"),
    ("easy", "hard"),
    ("easy", "difficult"),
    ("love", "hate"),
    ("must", "optional"),
    ("required", "optional"),
    ("always", "never"),
    ("everyone", "nobody"),
    ("simple", "complex"),
    ("small", "large"),
    ("blocked", "unblocked"),
    ("works", "broken"),
    ("yes", "no"),
    ("true", "false"),
    ("up", "down"),
    ("win", "lose"),
    ("gain", "loss"),
    ("before", "after"),
    ("weekly", "monthly"),
    ("daily", "weekly"),
]
_WORD_NUMBERS: dict[str, float] = {
    w: i
    for i, w in enumerate(
        _word_list(
            "zero one two three four five six seven eight nine ten"
            " eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty"
        )
    )
}
_WORD_NUMBERS.update(
    {
        "thirty": 30,
        "forty": 40,
        "fifty": 50,
        "sixty": 60,
        "seventy": 70,
        "eighty": 80,
        "ninety": 90,
        "hundred": 100,
        "thousand": 1000,
        "once": 1,
        "twice": 2,
        "half": 0.5,
        "a dozen": 12,
        "dozen": 12,
    }
)
_TOKEN = re.compile(r"\d+(?:[.,]\d+)?%?|[a-z][a-z'\-]*")
_PUNCT_BOUNDARY = re.compile(r"[,;:.!?()\u2013\u2014]")

REFUTES = re.compile(
    r"\b(?:does(?:n't| not) hold|did(?:n't| not) hold|is(?:n't| not) true|was(?:n't| not) true|"
    r"(?:is|was|were|are) wrong|"
    r"breaks? (?:my|our|the|that|this) (?:assumption|hypothesis)|turn(?:ed|s) out|contrary to|"
    r"disprove[sd]?|refute[sd]?|"
    r"proved? wrong|not the case|(?:is|was) a myth|not what we (?:thought|expected)|the opposite|not why|not because|"
    r"(?:isn't|is not|wasn't|was not) (?:the|a) (?:reason|problem|issue))\b",
    re.I,
)
SUPPORTS = re.compile(
    r"\b(?:confirm(?:s|ed)?|holds? up|held up|as (?:we )?expected|validated?|proves?|proved|is true|matches|"
    r"consistent with|backs? up|bears? out|borne out|in line with|same as we thought)\b",
    re.I,
)
PROMISE = re.compile(
    r"\b(?:(?<!as )promised|i told (?:them|him|her|\w+)|we told (?:them|him|her|\w+)|"
    r"told (?:them|him|her|the customer|the prospect)|"
    r"assured|guaranteed|committed to (?:them|him|her|the customer)|(?:it|that|this|sso|\w+) is on (?:our|the) "
    r"(?:roadmap|list)|we(?:'ll| will) (?:have|ship|deliver|support|add|launch) (?:it|that|this|\w+)[^.]*? by|"
    r"will (?:be|have) (?:it|that|this )?(?:ready|available|shipped|live) (?:by|in|next|this)|"
    r"they signed on that basis)\b",
    re.I,
)
ADVOCACY = re.compile(
    r"\b(?:we should|i think we should|let's|let us|we need to|we must|we have to|i'd (?:like|rather)|i would rather|"
    r"i (?:still )?think|i believe|where the money is|go after|"
    r"we(?:'ll| will) (?:build|target|pursue|do|run|ship|support)|"
    r"build (?:it|that|this|a|an|the)|pilot|decided|decision|agreed|plan to|going to)\b",
    re.I,
)
EVIDENCE = re.compile(
    r"\b(?:\d+|of the|survey|interviews?|sessions?|data|percent|measured|found|tested|research|"
    r"churn(?:ed)?|accounts?|customers? (?:said|told|say)|complained)\b",
    re.I,
)


_MARKUP = re.compile(r"\{[a-z_]+\}|\[(?:inaudible|crosstalk|laughter|laughs|music|silence)\]", re.I)


def normalize(text: str) -> str:
    """Lower case, without transcription markers ({vocalsound}, [crosstalk]), with the phrases
    that name one thing in several ways made one word."""
    text = _MARKUP.sub(" ", text).lower().replace("\u2019", "'")
    for pattern, replacement in _CONCEPTS:
        text = pattern.sub(replacement, text)
    return text


def stem(word: str) -> str:
    """A crude stem ("technicians" -> "technician", "doesn't" -> "doesnt"): enough to match words."""
    word = word.strip("'-").replace("'", "")
    if word.endswith("n't"):
        word = word[:-3] + "nt"
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: len(word) - len(suffix)] + keep
    return word


Count = tuple[float, float, str]  # (low, high, unit stem): "2 to 20 technicians" is (2, 20, "technician")


@dataclass
class Reading:
    """A statement as the offline checker sees it."""

    text: str
    terms: dict[str, bool]  # content stem -> asserted (True) or denied (False), by majority
    stems: set[str]
    numbers: list[Count]
    contexts: list[frozenset[str]]  # contexts[k]: the content words around numbers[k]
    negative: bool  # the whole statement denies something

    def shared(self, other: Reading) -> set[str]:
        """The content words both statements use, whatever their polarity."""
        return set(self.terms) & set(other.terms)


def read(text: str, negative: bool = False) -> Reading:
    """Content words with their polarity: a negator denies the words after it up to the next
    clause boundary or five words on; after a copula ("the contract is still not signed") it
    denies the clause's subject too. `negative` denies every word (a non-goal)."""
    lowered = normalize(text)
    votes: dict[str, list[bool]] = {}
    stems: set[str] = set()
    for clause in _PUNCT_BOUNDARY.split(lowered):
        scope = 0
        previous = ""
        said: list[str] = []  # the content stems of this clause so far
        for token in _TOKEN.findall(clause):
            plain = token.replace("'", "")
            if plain in NEGATORS or token.endswith("n't"):
                if previous in _COPULAS or plain in ("isnt", "arent", "wasnt", "werent", "hasnt", "havent"):
                    for earlier in said:
                        votes[earlier][-1] = False
                scope = 5
                continue
            if plain not in ("still", "yet", "really", "actually", "even"):
                previous = plain
            if plain in _BOUNDARY:
                scope = 0
                continue
            s = stem(plain)
            stems.add(s)
            if plain in STOPWORDS or len(plain) < 3 or plain[0].isdigit() or plain in _WORD_NUMBERS:
                scope = max(0, scope - 1)
                continue
            votes.setdefault(s, []).append(not (scope > 0 or negative))
            said.append(s)
            scope = max(0, scope - 1)
    terms = {s: sum(v) * 2 >= len(v) for s, v in votes.items()}
    if negative:
        terms = {s: False for s in terms}
    counted = numbers(lowered)
    return Reading(
        text=text,
        terms=terms,
        stems=stems,
        numbers=counted,
        contexts=number_contexts(lowered, counted),
        negative=negative,
    )


def number_contexts(lowered: str, counted: list[Count], reach: int = 6) -> list[frozenset[str]]:
    """For each count, the content words of its sentence within `reach` tokens of its unit (the
    unit itself left out): what the number measures ("go live ... 4 days ... signup")."""
    sentences = [_TOKEN.findall(part) for part in re.split(r"(?<![.!?;])[.!?;]+\s", lowered)]
    out = []
    for _, _, unit in counted:
        context: frozenset[str] = frozenset()
        for tokens in sentences:
            stems = [stem(t.replace("'", "")) for t in tokens]
            if unit not in stems:
                continue
            k = stems.index(unit)
            near = [
                stems[n]
                for n in [*range(max(0, k - reach), k), *range(k + 1, min(len(tokens), k + 1 + reach))]
                if tokens[n].replace("'", "") not in STOPWORDS
                and len(tokens[n]) >= 3
                and not tokens[n][0].isdigit()
                and tokens[n] not in _WORD_NUMBERS
            ]
            context = frozenset(t for t in near if t != unit and t not in UNITS)
            break
        out.append(context)
    return out


def polarity_flips(a: Reading, b: Reading) -> list[str]:
    """Content words one statement asserts and the other denies."""
    return sorted(t for t in a.shared(b) if a.terms[t] != b.terms[t])


def antonym_clash(a: Reading, b: Reading) -> tuple[str, str] | None:
    """A pair of opposites ("desktop" versus "phone") one statement uses and the other does not."""
    for x, y in ANTONYMS:
        sx, sy = stem(x), stem(y)
        for p, q in ((a, b), (b, a)):
            if sx in p.stems and sy in q.stems and sy not in p.stems and sx not in q.stems:
                return (x, y) if p is a else (y, x)
    return None


def numbers(lowered: str) -> list[Count]:
    """(low, high, unit) for each number followed by what it counts: "2 to 20 technicians",
    "two or three hours", "two and a half days", "once an hour", "25%"."""
    tokens = _TOKEN.findall(lowered)
    found: list[Count] = []
    i = 0
    while i < len(tokens):
        value = _number(tokens[i])
        if value is None or tokens[i] == "half":
            i += 1
            continue
        low = high = value
        j = i + 1
        if tokens[i].endswith("%"):
            found.append((low, high, "%"))
            i = j
            continue
        if tokens[j : j + 3] == ["and", "a", "half"]:
            low = high = value + 0.5
            j += 3
        upper = _number(tokens[j + 1]) if j + 1 < len(tokens) and tokens[j] in ("to", "or", "-") else None
        if upper is not None:
            high = upper
            j += 2
        while j < len(tokens) and tokens[j] in ("a", "an", "per", "of", "more", "than", "than", "and", "extra"):
            j += 1
        if j < len(tokens) and not tokens[j][0].isdigit() and tokens[j] not in STOPWORDS:
            found.append((min(low, high), max(low, high), stem(tokens[j])))
        i = j if j > i else i + 1
    return found


def _number(token: str) -> float | None:
    token = token.rstrip("%").replace(",", "")
    if token in _WORD_NUMBERS:
        return float(_WORD_NUMBERS[token])
    if "-" in token and all(p in _WORD_NUMBERS for p in token.split("-")):
        return float(sum(_WORD_NUMBERS[p] for p in token.split("-")))
    try:
        return float(token)
    except ValueError:
        return None


# What a unit measures and its size in that measure's base unit (hours for time): numbers are
# compared after conversion, and numbers of different measures are not compared at all.
UNITS: dict[str, tuple[str, float]] = {
    "second": ("time", 1 / 3600),
    "sec": ("time", 1 / 3600),
    "minute": ("time", 1 / 60),
    "min": ("time", 1 / 60),
    "hour": ("time", 1.0),
    "hr": ("time", 1.0),
    "h": ("time", 1.0),
    "afternoon": ("time", 4.0),
    "morning": ("time", 4.0),
    "day": ("time", 24.0),
    "week": ("time", 168.0),
    "month": ("time", 730.0),
    "quarter": ("time", 2190.0),
    "year": ("time", 8760.0),
    "%": ("percent", 1.0),
    "percent": ("percent", 1.0),
    "euro": ("money", 1.0),
    "eur": ("money", 1.0),
    "dollar": ("money", 1.0),
    "usd": ("money", 1.0),
    "buck": ("money", 1.0),
}


def measure(count: Count) -> tuple[str, float, float]:
    """A count in its measure's base unit: ("time", 96, 96) for "4 days"; a unit synth does not
    know is its own measure ("2 to 20 technicians" -> ("technician", 2, 20))."""
    low, high, unit = count
    kind, factor = UNITS.get(unit, (unit, 1.0))
    return kind, low * factor, high * factor


def number_clash(a: Reading, b: Reading, ratio: float = 1.1) -> tuple[Count, Count] | None:
    """Two numbers of the same measure, compared after converting their units (days and hours),
    whose ranges do not overlap: one is more than `ratio` times the other. Percentages are left
    out (a share of what?), and so are numbers of different measures."""
    for x, cx in zip(a.numbers, a.contexts):
        for y, cy in zip(b.numbers, b.contexts):
            (kx, lx, hx), (ky, ly, hy) = measure(x), measure(y)
            if kx != ky or kx == "percent" or not cx & cy:
                continue  # different measures, or numbers about different things
            if hx * ratio < ly or hy * ratio < lx:
                return x, y
    return None


_UPPER = re.compile(r"\b(?:under|less than|within|at most|no more than|below|up to|max(?:imum)?|fewer than)\s+$")
_LOWER = re.compile(r"\b(?:over|at least|more than|above|min(?:imum)?)\s+$")


def bounds(text: str) -> list[tuple[str, str, float]]:
    """The limits a metric sets: ("max", "time", 48.0) for "live in under 48 hours"; ("min", ...)
    for "at least" or a target ("conversion of 25%")."""
    lowered = normalize(text)
    found = []
    for match in re.finditer(r"(\d+(?:[.,]\d+)?%?|\b(?:" + "|".join(_WORD_NUMBERS) + r")\b)", lowered):
        before = lowered[: match.start()]
        count = numbers(lowered[match.start() :])
        if not count:
            continue
        kind, low, high = measure(count[0])
        if _UPPER.search(before):
            found.append(("max", kind, high))
        elif _LOWER.search(before):
            found.append(("min", kind, low))
    return found


def misses_bound(metric: Reading, measured: Reading) -> tuple[Count, str] | None:
    """A number in `measured` that breaks a limit of `metric` after unit conversion, by more
    than half again (4 days against "under 48 hours"): the number and the limit's words."""
    for side, kind, limit in bounds(metric.text):
        for count, context in zip(measured.numbers, measured.contexts):
            got, low, high = measure(count)
            if got != kind or kind == "percent" or not context & set(metric.terms):
                continue
            if (side == "max" and low > limit * 1.5) or (side == "min" and high * 1.5 < limit):
                unit = {"time": " hours", "money": ""}.get(kind, f" {kind}")
                return count, f"{'under' if side == 'max' else 'at least'} {limit:g}{unit}"
    return None


# A number that was measured, not guessed: "median 5 days", "we measured 47 minutes".
MEASURED = re.compile(
    r"\b(?:median|average|mean|avg|typical(?:ly)?|measured|took|takes|taken|on average|p50|p90)\b", re.I
)
HEDGED = re.compile(r"\b(?:maybe|perhaps|probably|i guess|i think|might|could be|roughly|or so)\b", re.I)


# A statement whose whole point is that something is missing or not happening: two of them about
# the same thing agree ("still waiting on the contract" and "we don't have it signed").
_LACK = re.compile(
    r"\b(?:not|no|never|nobody|none|without|cannot|can't|won't|don't|doesn't|didn't|isn't|aren't|hasn't|haven't|"
    r"still waiting|waiting (?:on|for)|pending|missing|lack(?:s|ing)?|unsigned|not yet|yet to|blocked|stuck)\b",
    re.I,
)


def denies(text: str) -> bool:
    """Whether a statement says something is missing, not done or not so."""
    return bool(_LACK.search(text.replace("\u2019", "'")))


# "nobody asks for X" (one function) against a customer that needs X (another).
NOBODY_WANTS = re.compile(
    r"\b(?:nobody|no one|no customer|none of (?:our|the) (?:customers|users|clients)|"
    r"no(?:t| one) (?:a )?single customer)(?:'s| is| has| have| ever| really|\s)*\s*"
    r"(?:ask(?:s|ed|ing)?|want(?:s|ed)?|need(?:s|ed)?|care(?:s|d)?|use(?:s|d)?|request(?:s|ed)?)\b(?:\s+(?:for|about))?\s+([^,.;!?]+)",
    re.I,
)
REQUIRES = re.compile(
    r"\b(?:need(?:s|ed)?|require[sd]?|req'd|requirement|must|mandatory|deal ?breaker|blocker|without \w+(?: \w+)? no|"
    r"ask(?:s|ed|ing)? (?:for|about|again|whether|if)|want(?:s|ed)?|no deal)\b",
    re.I,
)


# --- dates ------------------------------------------------------------------------------------

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_MONTH_NAMES = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATE_PATTERNS = [
    ("iso", re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")),
    ("quarter", re.compile(r"\bq([1-4])(?:\s*(?:of\s*)?[' ]?(\d{4}|\d{2}))?\b", re.I)),
    ("this_quarter", re.compile(r"\b(this|next|the end of the|end of the) quarter\b", re.I)),
    (
        "month",
        re.compile(
            r"\b(?:(early|mid|late|end of|the end of|beginning of)[- ]?)?("
            + _MONTH_NAMES
            + r")\b\.?(?:\s+(\d{1,2})(?:st|nd|rd|th)?\b)?(?:,?\s+(\d{4}))?",
            re.I,
        ),
    ),
    (
        "day_month",
        re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(" + _MONTH_NAMES + r")\b\.?(?:,?\s+(\d{4}))?", re.I),
    ),
    ("weekday", re.compile(r"\b(next\s+)?(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", re.I)),
    ("year", re.compile(r"\b(this|next|end of the|the end of the|end of this) year\b", re.I)),
    ("month_rel", re.compile(r"\b(this|next) month\b", re.I)),
    ("week_rel", re.compile(r"\b(this|next) week\b", re.I)),
    ("in_n", re.compile(r"\bin (\w+) (weeks?|months?)\b", re.I)),
]


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def due_by(text: str, reference: dt.date) -> tuple[dt.date, str] | None:
    """The latest day a stated time allows ("end of Q1" -> the last day of the next Q1 after
    `reference`), and the words that stated it; None when the text names no time."""
    best: tuple[int, dt.date, str] | None = None
    for kind, pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            day = from_words(functools.partial(_resolve, kind, match, reference))
            if day and (best is None or match.start() < best[0]):
                best = (match.start(), day, match.group(0))
    return (best[1], best[2]) if best else None


def _resolve(kind: str, m: re.Match, ref: dt.date) -> dt.date | None:
    """The day a date phrase of `kind` names, said on `ref`; it may raise ValueError or OverflowError
    (a day that does not exist, "in 1000000 weeks"), which `due_by` treats as no day."""
    if kind == "iso":
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if kind == "quarter":
        q = int(m.group(1))
        year = int(m.group(2)) if m.group(2) else ref.year
        year = year + 2000 if year < 100 else year
        end = _month_end(year, q * 3)
        if not m.group(2) and end < ref:
            end = _month_end(year + 1, q * 3)
        return end
    if kind == "this_quarter":
        q = (ref.month - 1) // 3 + 1
        if m.group(1).lower() == "next":
            q += 1
        year = ref.year + (q - 1) // 4
        return _month_end(year, ((q - 1) % 4 + 1) * 3)
    if kind in ("month", "day_month"):
        part, name, day, year = (
            (m.group(1), m.group(2), m.group(3), m.group(4))
            if kind == "month"
            else (None, m.group(2), m.group(1), m.group(3))
        )
        month = _MONTHS[name.lower().rstrip(".")]
        if name.lower() in ("may", "mar") and not (part or day or year):
            return None  # "may" and "mar" are words too
        if day:
            when = dt.date(int(year) if year else ref.year, month, int(day))
            if not year and when < ref - dt.timedelta(days=62):
                when = when.replace(year=when.year + 1)
            return when
        year = int(year) if year else ref.year
        end = _month_end(year, month)
        if not m.group(4 if kind == "month" else 3) and end < ref:
            end = _month_end(year + 1, month)
        part = (part or "").lower()
        if part == "early" or part == "beginning of":
            return end.replace(day=10)
        if part == "mid":
            return end.replace(day=15)
        return end
    if kind == "weekday":
        days = (_WEEKDAYS.index(m.group(2).lower()) - ref.weekday()) % 7 or 7
        return ref + dt.timedelta(days=days + (7 if m.group(1) else 0))
    if kind == "year":
        return dt.date(ref.year + (1 if m.group(1).lower() == "next" else 0), 12, 31)
    if kind == "month_rel":
        month = ref.month + (1 if m.group(1).lower() == "next" else 0)
        return _month_end(ref.year + (month - 1) // 12, (month - 1) % 12 + 1)
    if kind == "week_rel":
        days = 6 - ref.weekday() + (7 if m.group(1).lower() == "next" else 0)
        return ref + dt.timedelta(days=days)
    if kind == "in_n":
        n = _number(m.group(1).lower())
        if n is None:
            return None
        return ref + dt.timedelta(days=int(n * (7 if m.group(2).lower().startswith("week") else 31)))
    return None
    return None
