"""`synth check`: hold every insight against the stored vision and against each other.

1. Candidates (candidates.py). Each insight that is new since the last check (all of them after
   the vision changes) is paired with its most similar vision statements, with other functions'
   insights on the same topic, and (assumptions) with later evidence; a promise to a customer is
   paired with the roadmap. At most `check_candidates` pairs per insight and kind of pair. Other
   insights are found by nearest-neighbour queries to the store (neighbours.py), so the check
   reads the vectors of the new insights and of their neighbours, never every vector: its cost
   grows with the new insights, not with the square of the store.
2. Judgements. A prompted chain (judge_llm.py, prompts/check_pairs.md) judges several pairs per
   call as contradicts / supports / unrelated with a one-sentence reason; replies are cached per
   pair. Offline, a checker without a model (judge_offline.py, compare.py) reads polarity,
   numbers, dates and cue phrases, and its flags carry lower confidences.
3. Flags (flags.py). The kind of pair and the verdict give the flag type. A flag's id comes from
   what its sides say, so checking again finds the same flag and keeps the status a person gave
   it; a dismissed pair is never raised again.
4. Unheard themes (themes.py): requests and roadblocks that recur in three or more meetings and
   that no vision statement is close to; after an ingest, only the groups a new one joins are
   walked, link by link, through the same queries.

`run_check` (run.py) does all four on data the caller loaded, and returns what to store; nothing
in this package reads or writes the store.
"""

from .flags import assumption_statuses, flag_id, flag_type, insight_key
from .items import InsightItem, Item, StatementItem, insight_item, statement_item, statement_items
from .judge_offline import OfflineJudge, judge_offline
from .run import CheckInputs, CheckResult, CheckState, Judge, run_check

__all__ = [
    "CheckInputs",
    "CheckResult",
    "CheckState",
    "InsightItem",
    "Item",
    "Judge",
    "OfflineJudge",
    "StatementItem",
    "assumption_statuses",
    "flag_id",
    "flag_type",
    "insight_key",
    "insight_item",
    "judge_offline",
    "run_check",
    "statement_item",
    "statement_items",
]
