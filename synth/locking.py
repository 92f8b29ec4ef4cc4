"""Moved to synth/store/locking.py. Shim until cli moves (B's `main` imports it): remove at merge."""

from .store.locking import wrote_in_this_process

__all__ = ["wrote_in_this_process"]
