"""YAML as people write it in front matter and roster files, read with bounds: no anchors or
aliases (300 bytes of nested aliases expand to gigabytes), a size cap, and an impossible date
(`date: 2026-02-30`) kept as the text it is, so the caller can say which file and line."""

from __future__ import annotations

from typing import Any

import yaml

MAX_YAML_CHARS = 256_000


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases and keeps dates it cannot construct as strings."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not read; write the value out", event.start_mark
            )
        event = self.peek_event()
        if getattr(event, "anchor", None) is not None:
            raise yaml.composer.ComposerError(
                None, None, "anchors (&name) are not read; write the value out", event.start_mark
            )
        return super().compose_node(parent, index)

    def construct_yaml_timestamp(self, node: Any) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError):
            return self.construct_scalar(node)  # "2026-02-30": the caller says it is not a date


_BoundedLoader.add_constructor("tag:yaml.org,2002:timestamp", _BoundedLoader.construct_yaml_timestamp)


def load_yaml(text: str) -> Any:
    """Parse YAML text; raises yaml.YAMLError (with a mark where there is one) on anything
    synth does not read, and ValueError when the text is larger than MAX_YAML_CHARS."""
    if len(text) > MAX_YAML_CHARS:
        raise ValueError(f"is {len(text):,} characters of YAML; synth reads at most {MAX_YAML_CHARS:,}")
    return yaml.load(text, Loader=_BoundedLoader)  # noqa: S506 - a SafeLoader subclass
