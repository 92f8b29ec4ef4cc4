"""The cycle collector paused while a command holds every insight (synth/collector.py)."""

from __future__ import annotations

import gc

import pytest

from synth import collector


@pytest.fixture(autouse=True)
def collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_the_collector_is_off_inside_and_as_it_was_after_a_block_an_error_and_a_nested_block():
    with collector.paused():
        assert not gc.isenabled()
        with collector.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block leaves it as the outer one set it
    assert gc.isenabled()
    with pytest.raises(ValueError), collector.paused():
        raise ValueError("a failing step")
    assert gc.isenabled()
    gc.disable()  # a caller that turned it off itself keeps it off
    with collector.paused():
        pass
    assert not gc.isenabled()


@pytest.mark.slow
def test_the_check_the_digest_the_brief_and_the_report_run_with_the_collector_paused(example_app, monkeypatch):
    """Every step that holds the store's insights runs paused; the collector is on again after."""
    import synth.app
    import synth.check

    seen: dict[str, bool] = {}

    def spy(name, function):
        def called(*args, **kwargs):
            seen[name] = gc.isenabled()
            return function(*args, **kwargs)

        return called

    monkeypatch.setattr(synth.check, "run_check", spy("check", synth.check.run_check))
    monkeypatch.setattr(synth.app, "refresh_digest", spy("digest", synth.app.refresh_digest))
    monkeypatch.setattr(synth.app, "brief_facts", spy("facts", synth.app.brief_facts))
    example_app.check(everything=True)
    assert seen == {"check": False, "digest": False}
    example_app.brief(prose=False)
    assert seen.pop("facts") is False
    example_app.report()
    assert seen.pop("facts") is False
    assert gc.isenabled()
