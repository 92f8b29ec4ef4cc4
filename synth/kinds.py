"""Names shared by the data types and the command line (no imports: `synth --help` stays fast)."""

KINDS = ("finding", "roadblock", "assumption", "decision", "action", "request", "promise")
ASSUMPTION_STATUSES = ("untested", "validated", "invalidated")
FLAG_TYPES = (
    "vision_conflict",
    "team_conflict",
    "promise_gap",
    "assumption_refuted",
    "assumption_supported",
    "unheard",
)
FLAG_STATUSES = ("open", "resolved", "dismissed")
