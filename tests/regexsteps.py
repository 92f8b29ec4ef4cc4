"""Count the steps a backtracking regular-expression engine takes, to find super-linear patterns.

A small backtracking matcher over the parse tree that Python's own `re` builds, which counts every
character test and every attempt. It follows the same search order as CPython's engine (greedy and
lazy repeats, branches left to right, a search retried at each start), so a pattern that needs
quadratic or exponential work there needs it here too, measured in steps rather than seconds.
`growth` pumps hostile inputs made from the pattern's own characters (runs of spaces, of
non-breaking spaces, of the pattern's literals) at two sizes and returns the worst ratio: about 2
for a linear pattern, 4 or more for a quadratic one.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from re import _constants as C  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]

STEP_BUDGET = 200_000
_CATEGORIES = {
    C.CATEGORY_DIGIT: r"\d",
    C.CATEGORY_NOT_DIGIT: r"\D",
    C.CATEGORY_SPACE: r"\s",
    C.CATEGORY_NOT_SPACE: r"\S",
    C.CATEGORY_WORD: r"\w",
    C.CATEGORY_NOT_WORD: r"\W",
}


class _Budget(Exception):
    pass


_REPEATS = (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT)


def _plain(tree) -> tuple:
    """The parse tree as tuples, read once: _parser's SubPattern is slow to index."""
    nodes = []
    for op, av in tree:
        if op is C.SUBPATTERN:
            av = _plain(av[3])
        elif op is C.BRANCH:
            av = tuple(_plain(alt) for alt in av[1])
        elif op in _REPEATS:
            av = (av[0], av[1], _plain(av[2]))
        elif op in (C.ASSERT, C.ASSERT_NOT):
            av = (av[0], _plain(av[1]), av[1].getwidth()[0])
        elif op is C.ATOMIC_GROUP:
            av = _plain(av)
        elif op is C.IN:
            av = tuple(av)
        elif op not in (C.LITERAL, C.NOT_LITERAL, C.ANY, C.AT):
            raise NotImplementedError(f"node {op}")
        nodes.append((op, av))
    return tuple(nodes)


class Matcher:
    """One pattern, ready to count the steps of `search(text)`."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.tree = _parser.parse(pattern, flags)
        self.flags = self.tree.state.flags
        self.nodes = _plain(self.tree)
        self.ignorecase = bool(self.flags & re.IGNORECASE)
        self.multiline = bool(self.flags & re.MULTILINE)
        self.dotall = bool(self.flags & re.DOTALL)
        self.steps = 0
        self._known: dict = {}
        self._words: dict[str, bool] = {}
        self.text = ""

    # --- single characters -------------------------------------------------------------------
    def _fold(self, ch: str) -> str:
        return ch.lower() if self.ignorecase else ch

    @staticmethod
    def _category(name, ch: str) -> bool:
        # Python's own classes decide, so \s takes a non-breaking space exactly as re does
        return bool(re.match(_CATEGORIES[name], ch))

    def _in_set(self, items, ch: str) -> bool:
        negate = False
        found = False
        c = self._fold(ch)
        for op, av in items:
            if op is C.NEGATE:
                negate = True
            elif op is C.LITERAL:
                found = found or self._fold(chr(av)) == c or chr(av) == ch
            elif op is C.RANGE:
                found = found or av[0] <= ord(ch) <= av[1] or av[0] <= ord(c) <= av[1]
            elif op is C.CATEGORY:
                found = found or self._category(av, ch)
            else:
                raise NotImplementedError(f"set item {op}")
        return found != negate

    def _one(self, op, av, ch: str) -> bool:
        """Whether a single-character node matches ch (remembered: the same tests recur)."""
        key = (op, av if op is not C.IN else tuple(av), ch)
        known = self._known.get(key)
        if known is None:
            known = self._known[key] = self._test(op, av, ch)
        return known

    def _test(self, op, av, ch: str) -> bool:
        if op is C.LITERAL:
            return self._fold(chr(av)) == self._fold(ch)
        if op is C.NOT_LITERAL:
            return self._fold(chr(av)) != self._fold(ch)
        if op is C.ANY:
            return ch != "\n" or self.dotall
        if op is C.IN:
            return self._in_set(av, ch)
        raise NotImplementedError(f"node {op}")

    @staticmethod
    def _fits(op, av, ch: str) -> bool:
        """Whether a single-character node matches ch, without flags (to build examples)."""
        return Matcher("x")._one(op, av, ch)

    @staticmethod
    def _single(node) -> bool:
        return node[0] in (C.LITERAL, C.NOT_LITERAL, C.ANY, C.IN)

    # --- positions ---------------------------------------------------------------------------
    def _at(self, av, pos: int) -> bool:
        t = self.text

        def is_word(i: int) -> bool:
            if not 0 <= i < len(t):
                return False
            known = self._words.get(t[i])
            if known is None:
                known = self._words[t[i]] = self._category(C.CATEGORY_WORD, t[i])
            return known

        multiline = self.multiline
        if av is C.AT_BEGINNING:
            return pos == 0 or (multiline and t[pos - 1] == "\n")
        if av is C.AT_BEGINNING_STRING:
            return pos == 0
        if av is C.AT_END:
            at_end = pos == len(t) or (pos == len(t) - 1 and t[pos] == "\n")
            return at_end or (multiline and pos < len(t) and t[pos] == "\n")
        if av is C.AT_END_STRING:
            return pos == len(t)
        if av is C.AT_BOUNDARY:
            return is_word(pos - 1) != is_word(pos)
        if av is C.AT_NON_BOUNDARY:
            return is_word(pos - 1) == is_word(pos)
        raise NotImplementedError(f"at {av}")

    # --- sequences, with a continuation --------------------------------------------------------
    def _tick(self, n: int = 1) -> None:
        self.steps += n
        if self.steps > STEP_BUDGET:
            raise _Budget

    def _seq(self, nodes, i: int, pos: int, k: Callable[[int], bool]) -> bool:
        self._tick()
        if i == len(nodes):
            return k(pos)
        op, av = nodes[i]
        rest = lambda p: self._seq(nodes, i + 1, p, k)  # noqa: E731
        if self._single(nodes[i]):
            return pos < len(self.text) and self._one(op, av, self.text[pos]) and rest(pos + 1)
        if op is C.AT:
            return self._at(av, pos) and rest(pos)
        if op is C.SUBPATTERN:
            return self._seq(av, 0, pos, rest)
        if op is C.ATOMIC_GROUP:
            end = self._first_end(av, pos)
            return end is not None and rest(end)
        if op is C.BRANCH:
            return any(self._seq(alt, 0, pos, rest) for alt in av)
        if op in _REPEATS:
            return self._repeat(op, av, pos, rest)
        if op in (C.ASSERT, C.ASSERT_NOT):
            return self._assert(op, av, pos) and rest(pos)
        raise NotImplementedError(f"node {op}")

    # --- which characters can start a match (what CPython's prefix check skips at once) ------------
    def _nullable(self, nodes) -> bool:
        for op, av in nodes:
            if self._single((op, av)):
                return False
            if op in (C.SUBPATTERN, C.ATOMIC_GROUP) and not self._nullable(av):
                return False
            if op is C.BRANCH and not any(self._nullable(alt) for alt in av):
                return False
            if op in _REPEATS and av[0] > 0 and not self._nullable(av[2]):
                return False
        return True

    def _can_start(self, nodes, ch: str) -> bool:
        """Whether a match of the nodes may begin with ch; skipping a start where it cannot costs a
        constant per position, so it changes no growth (and keeps the counter quick)."""
        for op, av in nodes:
            if self._single((op, av)):
                return self._one(op, av, ch)
            if op in (C.SUBPATTERN, C.ATOMIC_GROUP):
                inner = [av]
            elif op is C.BRANCH:
                inner = list(av)
            elif op in _REPEATS:
                inner = [av[2]] if av[1] > 0 else []
            else:  # a position or a look-around: look past it
                continue
            if any(self._can_start(sub, ch) for sub in inner):
                return True
            if not self._nullable([(op, av)]):
                return False
        return True

    def _first_end(self, nodes, pos: int) -> int | None:
        ends: list[int] = []
        self._seq(nodes, 0, pos, lambda p: ends.append(p) or True)
        return ends[0] if ends else None

    def _assert(self, op, av, pos: int) -> bool:
        direction, sub, width = av
        if direction < 0:  # a look-behind has a fixed width
            found = pos - width >= 0 and self._first_end(sub, pos - width) == pos
        else:
            found = self._first_end(sub, pos) is not None
        return found == (op is C.ASSERT)

    def _repeat(self, op, av, pos: int, k: Callable[[int], bool]) -> bool:
        low, high, nodes = av
        if len(nodes) == 1 and self._single(nodes[0]):
            return self._repeat_one(op, low, high, nodes[0], pos, k)
        if op is C.POSSESSIVE_REPEAT:
            end = self._possessive(low, high, nodes, pos)
            return end is not None and k(end)
        greedy = op is C.MAX_REPEAT

        def attempt(count: int, p: int) -> bool:
            self._tick()
            again = lambda q: q != p and attempt(count + 1, q)  # noqa: E731  (an empty turn ends the loop)
            if greedy:
                return (count < high and self._seq(nodes, 0, p, again)) or (count >= low and k(p))
            return (count >= low and k(p)) or (count < high and self._seq(nodes, 0, p, again))

        return attempt(0, pos)

    def _possessive(self, low: int, high: int, nodes, pos: int) -> int | None:
        count = 0
        while count < high:
            end = self._first_end(nodes, pos)
            if end is None or end == pos:
                break
            pos, count = end, count + 1
        return pos if count >= low else None

    def _repeat_one(self, op, low: int, high: int, node, pos: int, k: Callable[[int], bool]) -> bool:
        # CPython's REPEAT_ONE: take the run of matching characters, then give them back one by one
        t = self.text
        run = 0
        while run < high and pos + run < len(t) and self._one(node[0], node[1], t[pos + run]):
            run += 1
        self._tick(run + 1)
        if run < low:
            return False
        if op is C.POSSESSIVE_REPEAT:
            return k(pos + run)
        order = range(run, low - 1, -1) if op is C.MAX_REPEAT else range(low, run + 1)
        for n in order:
            self._tick()
            if k(pos + n):
                return True
        return False

    def search_steps(self, text: str) -> int:
        """The steps of a search through text (stopping at the budget)."""
        self.text = text
        self.steps = 0
        nodes = self.nodes
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(limit, 50_000))
        try:
            starts: dict[str, bool] = {}
            for start in range(len(text) + 1):
                if start < len(text):
                    ch = text[start]
                    if ch not in starts:
                        starts[ch] = self._can_start(nodes, ch)
                    if not starts[ch]:
                        self._tick()
                        continue
                if self._seq(nodes, 0, start, lambda p: True):
                    break
        except _Budget:
            pass
        finally:
            sys.setrecursionlimit(limit)
        return self.steps


# Characters a hostile note is made of: whitespace of several kinds (a word processor pastes
# non-breaking spaces), word characters, and whatever the pattern itself names.
_COMMON = ["a", " ", "\u00a0", "\t", "\u2003", "A", "1", ".", "-", "*", "\n", "\x00"]
_LONG = 30  # a repeat that may run this far can pump an input; shorter ones cost a constant
SUPER_LINEAR = 3.0  # steps grow more than 3 times when the input doubles: quadratic or worse


def _children(op, av) -> list:
    if op is C.SUBPATTERN:
        return [list(av[3])]
    if op is C.BRANCH:
        return [list(alt) for alt in av[1]]
    if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
        return [list(av[2])]
    if op in (C.ASSERT, C.ASSERT_NOT):
        return [list(av[1])]
    if op is C.ATOMIC_GROUP:
        return [list(av)]
    return []


def _nodes(tree, inside_long: bool = False):
    """Every node of the tree, with whether a long repeat encloses it."""
    for op, av in tree:
        yield (op, av), inside_long
        long = inside_long or (op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT) and av[1] >= _LONG)
        for child in _children(op, av):
            yield from _nodes(child, long)


def _characters(tree) -> list[str]:
    found: list[str] = []
    for (op, av), _ in _nodes(tree):
        if op is C.LITERAL:
            found.append(chr(av))
        elif op is C.IN:
            for item_op, item in av:
                if item_op in (C.LITERAL, C.RANGE):
                    found.append(chr(item if item_op is C.LITERAL else item[0]))
    return found


def _example(nodes, least: int = 0) -> str:
    """The shortest text the nodes match, roughly: a prefix that reaches what follows them."""
    out = []
    for op, av in nodes:
        if op is C.LITERAL:
            out.append(chr(av))
        elif op in (C.NOT_LITERAL, C.ANY, C.IN):
            out.append(next((c for c in _COMMON if Matcher._fits(op, av, c)), "a"))
        elif op is C.SUBPATTERN:
            out.append(_example(av[3], least))
        elif op is C.BRANCH:
            out.append(_example(av[1][0], least))
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            out.append(_example(av[2], least) * max(av[0], least))
    return "".join(out)


def _prefixes(nodes) -> list[str]:
    """Texts that bring a match to the start of each node, at every depth."""
    found = []
    for i, (op, av) in enumerate(nodes):
        for least in (0, 1):
            head = _example(nodes[:i], least)
            found.append(head)
            for child in _children(op, av):
                found.extend(head + inner for inner in _prefixes(child))
    return found


def hostile_inputs(pattern: str, flags: int) -> list[tuple[str, str, str]]:
    """(prefix, pump, suffix) triples: the pump is each character (and pair) a long repeat can take."""
    tree = _parser.parse(pattern, flags)
    matcher = Matcher(pattern, flags)
    repeated = [node for node, long in _nodes(tree) if long and Matcher._single(node)]
    alphabet: list[str] = []
    kinds = set()  # the pattern's own letters and digits, one per way the long repeats treat them
    for c in dict.fromkeys(_COMMON + _characters(tree)):
        kind = (*(matcher._one(*n, c) for n in repeated), c if not c.isalnum() else "")
        if any(kind) and (c in _COMMON or kind not in kinds):
            alphabet.append(c)
            kinds.add(kind)
    prefixes = list(dict.fromkeys(p for p in _prefixes(list(tree)) if len(p) <= 12))[:10]
    pumps = alphabet + [a + b for a in alphabet[:5] for b in alphabet[:5] if a != b]
    return [(prefix, pump, end) for prefix in prefixes for pump in pumps for end in ("\x00", "\n")]


def growth(pattern: str, flags: int = 0, size: int = 50) -> tuple[float, str]:
    """The worst ratio of steps between hostile inputs of 2*size and size characters, and that input.

    A pattern whose matches are bounded in length costs a constant per start: 2.0 at once.
    """
    matcher = Matcher(pattern, flags)
    if matcher.tree.getwidth()[1] < _LONG:
        return 2.0, ""
    worst = (0.0, "")
    for prefix, pump, end in hostile_inputs(pattern, flags):
        count = size // len(pump)
        small = matcher.search_steps(prefix + pump * count + end)
        large = matcher.search_steps(prefix + pump * (2 * count) + end)
        ratio = float("inf") if large > STEP_BUDGET else large / max(small, 1)
        if ratio > worst[0]:
            worst = (ratio, prefix + pump * count + end)
        if ratio > SUPER_LINEAR:
            break
    return worst
