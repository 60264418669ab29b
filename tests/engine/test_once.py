"""A value built on first use: once, even when threads race for it; a failed build is retried."""

from __future__ import annotations

import threading

import pytest

from mockserver.once import Once


def test_the_value_is_built_on_the_first_get_and_kept():
    builds = []
    once = Once(lambda: builds.append(1) or len(builds))
    assert not once.done and builds == []
    assert once.get() == 1 and once.get() == 1
    assert once.done and builds == [1]
    assert Once.built("ready").done and Once.built("ready").get() == "ready"


def test_a_build_that_raises_is_tried_again():
    attempts = []

    def build() -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("out of time")
        return "built"

    once = Once(build)
    with pytest.raises(RuntimeError):
        once.get()
    assert not once.done
    assert once.get() == "built" and len(attempts) == 2


def test_threads_racing_for_the_value_build_it_once():
    entered, release = threading.Event(), threading.Event()
    builds = []

    def build() -> object:
        builds.append(threading.current_thread().name)
        entered.set()
        release.wait(10)
        return object()

    once = Once(build)
    got: list[object] = []
    threads = [threading.Thread(target=lambda: got.append(once.get())) for _ in range(8)]
    threads[0].start()
    assert entered.wait(10)  # the first thread is building; the others come while it does
    for thread in threads[1:]:
        thread.start()
    release.set()
    for thread in threads:
        thread.join(10)
    assert len(builds) == 1
    assert len(got) == 8 and all(value is got[0] for value in got)


def test_the_check_sees_the_value_before_any_caller_and_a_refusal_keeps_it_unbuilt():
    seen: list[int] = []

    def check(value: int) -> None:
        seen.append(value)
        if len(seen) == 1:
            raise ValueError("violates the spec")

    once = Once(lambda: len(seen) + 41)
    once.check = check
    with pytest.raises(ValueError):
        once.get()
    assert not once.done
    assert once.get() == 42 and once.get() == 42
    assert seen == [41, 42]
