"""Where the suite's time goes: a pytest plugin the conftest loads.

At the end of a run it prints the time spent in test setup, call and teardown (with each
one's share of the total), the fixtures that cost the most to set up and tear down, and the
time of each folder of tests (a domain), so a slow suite says whether its tests or its
fixtures are slow, and where. ``make test`` adds pytest's own
``--durations=30`` for the slowest single tests. In a parallel run the times are summed over
the workers (each sends its fixtures' times back when it finishes), beside the run's wall time
and when each worker finished its last test (one idle long before the other: the schedule).

It also orders the run: the modules marked ``costly`` first, then the others, within each
the slowest of the last run first (each module's time is kept in pytest's cache,
``.pytest_cache``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Generator
from time import perf_counter
from typing import Any

import pytest

FIXTURES_SHOWN = 12

_phases: Counter[str] = Counter()
_folders: Counter[str] = Counter()
_modules: Counter[str] = Counter()  # seconds, by test module (its path)
_worker_done: dict[str, float] = {}  # a worker's last report, in seconds since the start
_setup: Counter[str] = Counter()  # seconds, by fixture
_teardown: Counter[str] = Counter()
_setups: Counter[str] = Counter()  # how many times each was set up
_teardown_started: dict[int, float] = {}
_started: list[float] = []


def pytest_sessionstart(session: pytest.Session) -> None:
    _started.append(perf_counter())


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _phases[report.when] += report.duration
    path = report.nodeid.split("::", 1)[0].split("/")
    _folders["/".join(path[:2]) if len(path) > 2 else path[0]] += report.duration
    _modules["/".join(path)] += report.duration
    node = getattr(report, "node", None)  # the worker that ran it, in a parallel run
    if node is not None and _started:
        _worker_done[node.gateway.id] = perf_counter() - _started[0]


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef[Any]) -> Generator[None, Any, Any]:
    started = perf_counter()
    try:
        return (yield)
    finally:
        _setup[fixturedef.argname] += perf_counter() - started
        _setups[fixturedef.argname] += 1
        # Finalizers run last-in first-out: this one runs just before the fixture's own
        # teardown, and pytest_fixture_post_finalizer just after it.
        fixturedef.addfinalizer(
            lambda: _teardown_started.__setitem__(id(fixturedef), perf_counter())
        )


def pytest_fixture_post_finalizer(fixturedef: pytest.FixtureDef[Any]) -> None:
    started = _teardown_started.pop(id(fixturedef), None)
    if started is not None:
        _teardown[fixturedef.argname] += perf_counter() - started


MODULE_SECONDS = "intake/module-seconds"


def recorded_seconds(config: pytest.Config) -> dict[str, float]:
    """Each test module's time in the last run that ran it (none without pytest's cache)."""
    cache = getattr(config, "cache", None)
    return dict(cache.get(MODULE_SECONDS, {})) if cache is not None else {}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The modules marked ``costly`` (a browser journey, a city of hundreds of problems, a
    cluster of their own) run first, then the others; within each, the slowest of the last
    run first, each module's tests still together. In a parallel run (``--dist loadfile``
    hands out whole modules in this order) a worker then never starts a long module while
    the other has nothing left to do: the last modules handed out are short ones."""
    costly = {item.module for item in items if item.get_closest_marker("costly")}
    seconds = recorded_seconds(config)
    items.sort(
        key=lambda item: (
            item.module not in costly,
            -seconds.get(item.nodeid.split("::", 1)[0], 0.0),
        )
    )


def pytest_sessionfinish(session: pytest.Session) -> None:
    """In a pytest-xdist worker: send the fixtures' times to the controller. Elsewhere (the
    controller, or a run in one process): record each module's time for the next run."""
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        output["intake_fixtures"] = [dict(_setup), dict(_teardown), dict(_setups)]
        return
    cache = getattr(session.config, "cache", None)
    if cache is not None and _modules:
        recorded = recorded_seconds(session.config)
        recorded.update((module, round(seconds, 2)) for module, seconds in _modules.items())
        cache.set(MODULE_SECONDS, dict(sorted(recorded.items())))


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """In the controller of a parallel run: add a finished worker's fixture times."""
    sent = getattr(node, "workeroutput", {}).get("intake_fixtures")
    if sent:
        for mine, theirs in zip((_setup, _teardown, _setups), sent, strict=True):
            mine.update(theirs)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    total = sum(_phases.values())
    if not total:
        return
    write = terminalreporter.write_line
    terminalreporter.section("where the time went")
    for phase in ("setup", "call", "teardown"):
        write(f"{phase:>9} {_phases[phase]:8.1f} s  {100 * _phases[phase] / total:5.1f} %")
    write(f"{'total':>9} {total:8.1f} s")
    workers = getattr(terminalreporter.config.option, "numprocesses", None) or 0
    if _started:
        wall = perf_counter() - _started[0]
        write(f"{'wall':>9} {wall:8.1f} s  ({workers or 'no'} workers)")
    if len(_worker_done) > 1:  # a worker done long before another: the schedule costs
        done = ", ".join(f"{name} {at:.1f} s" for name, at in sorted(_worker_done.items()))
        idle = max(_worker_done.values()) - min(_worker_done.values())
        write(f"{'done':>9} {done}  (the first idle for {idle:.1f} s)")
    costs = {
        name: (_setup[name], _teardown[name], _setups[name])
        for name in set(_setup) | set(_teardown)
    }
    ranked = sorted(costs.items(), key=lambda item: -(item[1][0] + item[1][1]))
    write("")
    write(f"{'fixture':<28} {'setups':>7} {'setup s':>9} {'teardown s':>11}")
    for name, (setup, teardown, count) in ranked[:FIXTURES_SHOWN]:
        write(f"{name[:28]:<28} {count:>7} {setup:>9.2f} {teardown:>11.2f}")
    write("")
    write(f"{'folder':<28} {'s':>9} {'share':>7}")
    for folder, seconds in _folders.most_common():
        write(f"{folder[:28]:<28} {seconds:>9.1f} {100 * seconds / total:>6.1f}%")
