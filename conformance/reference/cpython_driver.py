#!/usr/bin/env python3
"""Reference driver: runs reader scenarios on CPython's asyncio.StreamReader.

Usage: cpython_driver.py FILE...   (``-`` reads standard input)

Same input and output as ``weir-scenarios`` (conformance/SCENARIOS.md): one
JSON result line per scenario, written with ``json.dumps`` defaults.

How it runs a scenario:

* A real ``asyncio.StreamReader(limit)`` on the default event loop, given a
  fake transport (``set_transport``) that only records ``pause_reading`` /
  ``resume_reading``; the ``paused`` query answers the transport's state.
* ``feed`` is ``feed_data``, ``eof`` is ``feed_eof``, ``error`` is
  ``set_exception(TYPE())``. A read step starts a task; queries are answered
  at once.
* After every step the loop runs until idle: ``await asyncio.sleep(0)`` until
  the loop's ready queue is empty (nothing else is scheduled; no timers are
  used). A task that has finished by then has ``done`` = that step's index.
* A task still waiting at the end is reported pending, then cancelled.

Which CPython: list separators (``["readuntil", [SEP, ...]]``) need 3.13's
``readuntil(tuple)``, so the driver refuses such a scenario on an older
Python (exit code 2) instead of emulating it. The single-separator reader
code of 3.11 and 3.13 is the same (compare ``StreamReader`` in both
``asyncio/streams.py``), so the differential test runs every scenario on
3.13 (``PYENV_VERSION=3.13.0 python3``) and the ones without a list separator
on 3.11 (``python3``) as well.

A bad scenario (bad JSON, unknown step, a character above U+00FF in a byte
string, ...) is reported on stderr as ``FILE:LINE: scenario "NAME": why`` and
skipped; the others still run, and the exit code is 2. The Rust parser
(``weir_conformance::parse_each``) is the strict validator; this one checks
what it needs to run safely.
"""

import asyncio
import json
import sys

ERRORS = {
    "ConnectionResetError": ConnectionResetError,
    "BrokenPipeError": BrokenPipeError,
    "TimeoutError": TimeoutError,
}
READS = {"read", "readline", "readexactly", "readuntil"}
QUERIES = {"at_eof", "buffered", "paused"}
HAS_TUPLE_SEPARATORS = sys.version_info >= (3, 13)


class BadFile(Exception):
    pass


class FakeTransport:
    """Records flow control the way a socket transport would act on it."""

    def __init__(self):
        self.paused = False

    def pause_reading(self):
        self.paused = True

    def resume_reading(self):
        self.paused = False

    def get_extra_info(self, name, default=None):
        return default


def to_bytes(value, what):
    if not isinstance(value, str):
        raise BadFile(f"{what} must be a string of bytes, got {value!r}")
    for i, ch in enumerate(value):
        if ord(ch) > 0xFF:
            raise BadFile(f"{what}: character {i} is U+{ord(ch):04X}, above U+00FF")
    return value.encode("latin-1")


def to_int(value, what):
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadFile(f"{what} takes an integer, got {value!r}")
    return value


def decode(data):
    return bytes(data).decode("latin-1")


def error_json(exc):
    if isinstance(exc, asyncio.IncompleteReadError):
        return {"type": "IncompleteReadError", "partial": decode(exc.partial),
                "expected": exc.expected}
    if isinstance(exc, asyncio.LimitOverrunError):
        return {"type": "LimitOverrunError", "consumed": exc.consumed}
    return {"type": type(exc).__name__}


def start_read(reader, step):
    kind = step[0]
    if kind == "read":
        return reader.read(to_int(step[1], "read"))
    if kind == "readline":
        return reader.readline()
    if kind == "readexactly":
        return reader.readexactly(to_int(step[1], "readexactly"))
    sep = step[1]
    if isinstance(sep, list):
        if not HAS_TUPLE_SEPARATORS:
            raise BadFile("a list of separators needs CPython 3.13 "
                          "(run with PYENV_VERSION=3.13.0 python3)")
        return reader.readuntil(tuple(to_bytes(s, "a separator") for s in sep))
    return reader.readuntil(to_bytes(sep, "the separator"))


async def until_idle(loop):
    for _ in range(10_000):
        await asyncio.sleep(0)
        if not loop._ready:
            return
    raise RuntimeError("the event loop never became idle")


def check_arity(step, n):
    if len(step) != n + 1:
        raise BadFile(f"{step[0]!r} takes {n} argument(s), got {len(step) - 1}")


async def run_scenario(sc):
    loop = asyncio.get_running_loop()
    tasks = []  # (result dict, task) not yet finished
    try:
        return await run_steps(sc, loop, tasks)
    except BadFile:
        # A bad step: give up on this scenario without leaving tasks behind.
        for _, task in tasks:
            task.cancel()
        await until_idle(loop)
        raise


async def run_steps(sc, loop, tasks):
    reader = asyncio.StreamReader(limit=sc.get("limit", 65536))
    transport = FakeTransport()
    reader.set_transport(transport)
    results = []  # in step order: [dict]
    for i, step in enumerate(sc["steps"]):
        if not isinstance(step, list) or not step or not isinstance(step[0], str):
            raise BadFile(f"step {i}: a step is an array starting with its kind")
        kind = step[0]
        if kind == "feed":
            check_arity(step, 1)
            reader.feed_data(to_bytes(step[1], "feed data"))
        elif kind == "eof":
            check_arity(step, 0)
            reader.feed_eof()
        elif kind == "error":
            check_arity(step, 1)
            if step[1] not in ERRORS:
                raise BadFile(f"step {i}: unknown error {step[1]!r}")
            reader.set_exception(ERRORS[step[1]]())
        elif kind in QUERIES:
            check_arity(step, 0)
            if kind == "at_eof":
                value = reader.at_eof()
            elif kind == "buffered":
                value = len(reader._buffer)
            else:
                value = transport.paused
            results.append({"step": i, "done": i, "value": value})
        elif kind in READS:
            check_arity(step, 0 if kind == "readline" else 1)
            entry = {"step": i}
            results.append(entry)
            tasks.append((entry, loop.create_task(start_read(reader, step))))
        else:
            raise BadFile(f"step {i}: unknown step kind {kind!r}")
        await until_idle(loop)
        still = []
        for entry, task in tasks:
            if not task.done():
                still.append((entry, task))
                continue
            entry["done"] = i
            exc = task.exception()
            if exc is None:
                entry["ok"] = decode(task.result())
            else:
                entry["err"] = error_json(exc)
        tasks[:] = still
    for entry, task in tasks:
        entry["pending"] = True
        task.cancel()
    if tasks:
        await until_idle(loop)
    return {"name": sc["name"], "results": results}


def where(source, n, sc):
    """``FILE:LINE: scenario "NAME": `` for a message about one scenario."""
    name = sc.get("name") if isinstance(sc, dict) else None
    if isinstance(name, str):
        return f"{source}:{n}: scenario {json.dumps(name)}: "
    return f"{source}:{n}: "


def load(text, source):
    """Yields ``(line, scenario)`` for each good line and ``(line, BadFile)``
    for each bad one, so one bad scenario does not stop the others."""
    names = set()
    for n, line in enumerate(text.split("\n"), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            sc = json.loads(line)
        except ValueError as e:
            yield n, BadFile(f"{source}:{n}: bad JSON: {e}")
            continue
        if not isinstance(sc, dict) or not isinstance(sc.get("name"), str) \
                or not isinstance(sc.get("steps"), list):
            yield n, BadFile(f"{where(source, n, sc)}a scenario is an object with "
                             f"a string \"name\" and a list \"steps\"")
            continue
        limit = sc.get("limit", 65536)
        if isinstance(limit, bool) or not isinstance(limit, int) or limit <= 0:
            yield n, BadFile(f"{where(source, n, sc)}\"limit\" must be a positive integer")
            continue
        if sc["name"] in names:
            yield n, BadFile(f"{where(source, n, sc)}duplicate name")
            continue
        names.add(sc["name"])
        yield n, sc


async def main(paths):
    """Runs every good scenario; returns True if any was bad."""
    out = sys.stdout
    failed = False
    for path in paths:
        try:
            if path == "-":
                text = sys.stdin.read()
            else:
                with open(path, encoding="utf-8") as f:
                    text = f.read()
        except (OSError, UnicodeDecodeError) as e:
            print(f"cpython_driver: {path}: {e}", file=sys.stderr)
            failed = True
            continue
        for n, sc in load(text, path):
            if isinstance(sc, BadFile):
                print(f"cpython_driver: {sc}", file=sys.stderr)
                failed = True
                continue
            try:
                result = await run_scenario(sc)
            except BadFile as e:
                print(f"cpython_driver: {where(path, n, sc)}{e}", file=sys.stderr)
                failed = True
                continue
            out.write(json.dumps(result) + "\n")
    out.flush()
    return failed


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print("usage: cpython_driver.py FILE...   (`-` is stdin)", file=sys.stderr)
        sys.exit(2)
    sys.exit(2 if asyncio.run(main(sys.argv[1:])) else 0)
