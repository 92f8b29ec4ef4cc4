"""Where a brief's time goes on a built store: a cProfile of `Synth.brief` in process, as of the
store's last meeting (so the digest is used when it holds), the last 14 days, offline.

It only reads: run it on a scale store directly or on a copy.

    PYTHONPATH=$PWD python bench/profile_brief.py /work/benchcache2/scale_store_300
    PYTHONPATH=$PWD python bench/profile_brief.py STORE --for engineering --lines 60
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import os
import pstats
import time
from pathlib import Path

from synth.app import Synth
from synth.config import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("store", type=Path)
    parser.add_argument("--for", dest="audience", default=None, help="the audience (default: the team)")
    parser.add_argument("--days", type=int, default=14, help="the period: this many days before the last meeting")
    parser.add_argument("--lines", type=int, default=45, help="lines of the profile to print")
    args = parser.parse_args()
    app = Synth(Settings(store=args.store, offline=True))
    as_of = dt.date.fromisoformat(max(r.date for r in app.store(create=False).meetings.records()))
    since = as_of - dt.timedelta(days=args.days)
    for run in ("first", "profiled"):
        profile = cProfile.Profile() if run == "profiled" else None
        started = time.perf_counter()
        if profile:
            profile.enable()
        app.brief(audience=args.audience, since=since, as_of=as_of, prose=False)
        if profile:
            profile.disable()
        print(f"{run} run: {time.perf_counter() - started:.2f} s (load {os.getloadavg()[0]:.1f})")
        if profile:
            pstats.Stats(profile).sort_stats("cumulative").print_stats(args.lines)
    for note in dict.fromkeys(app.read_notes):
        print(f"note: {note}")


if __name__ == "__main__":
    main()
