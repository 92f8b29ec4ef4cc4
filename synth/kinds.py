"""Names shared by the data types and the command line (no heavy imports: `synth --help` stays
fast). Each Literal type is the source; its tuple is what loops and Click choices use."""

from typing import Literal, get_args

Kind = Literal["finding", "roadblock", "assumption", "decision", "action", "request", "promise"]
AssumptionStatus = Literal["untested", "validated", "invalidated"]
FlagType = Literal[
    "vision_conflict",
    "team_conflict",
    "promise_gap",
    "assumption_refuted",
    "assumption_supported",
    "unheard",
]
FlagStatus = Literal["open", "resolved", "dismissed"]

KINDS: tuple[Kind, ...] = get_args(Kind)
ASSUMPTION_STATUSES: tuple[AssumptionStatus, ...] = get_args(AssumptionStatus)
FLAG_TYPES: tuple[FlagType, ...] = get_args(FlagType)
FLAG_STATUSES: tuple[FlagStatus, ...] = get_args(FlagStatus)
