"""A load generator in its own process: HTTP/1.1 keep-alive connections, back to back.

Reads a plan (JSON) on stdin and writes the result (JSON) on stdout:

    {"port": 8000, "concurrency": 8, "max_seconds": 30, "keep_bodies": false,
     "headers": {"authorization": "Bearer ..."},
     "requests": [["GET", "/api/v1/me", null], ["POST", "/api/v1/problems", {...}],
                  ["POST", "/api/v1/problems/.../submit", null, {"if-match": "*"}], ...]}

Each of ``concurrency`` connections sends its next request as soon as the last answer is
read, until every request is sent or ``max_seconds`` have passed. A plain asyncio client
(no HTTP library) so that the generator costs little next to the server it measures; run
it pinned to a CPU the server does not use (bench/http.py does, with taskset).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import signal
import sys
from time import perf_counter, process_time
from typing import Any


async def _connection(
    port: int,
    headers: dict[str, str],
    requests: list[list[Any]],
    numbers: itertools.count[int],
    deadline: float,
    stopped: asyncio.Event,
    out: dict[str, Any],
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    common = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    try:
        while (
            not stopped.is_set()
            and (i := next(numbers)) < len(requests)
            and perf_counter() < deadline
        ):
            method, path, body, *extra = requests[i]
            payload = b"" if body is None else json.dumps(body).encode()
            head = f"{method} {path} HTTP/1.1\r\nhost: 127.0.0.1\r\n{common}"
            for name, value in (extra[0] if extra else {}).items():
                head += f"{name}: {value}\r\n"
            if body is not None:
                head += f"content-type: application/json\r\ncontent-length: {len(payload)}\r\n"
            started = perf_counter()
            writer.write(head.encode() + b"\r\n" + payload)
            status_line = await reader.readline()
            length, chunked = 0, False
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                name = name.strip().lower()
                if name == "content-length":
                    length = int(value)
                elif name == "transfer-encoding" and "chunked" in value:
                    chunked = True
            content = await _body(reader, length, chunked)
            elapsed = perf_counter() - started
            status = int(status_line.split()[1])
            if status >= 400:
                out["errors"].append(f"{method} {path} -> {status}: {content[:200]!r}")
            else:
                out["latencies"].append(elapsed)
            if out["bodies"] is not None:
                out["bodies"].append(json.loads(content) if content else None)
    finally:
        writer.close()


async def _body(reader: asyncio.StreamReader, length: int, chunked: bool) -> bytes:
    if not chunked:
        return await reader.readexactly(length) if length else b""
    parts = []
    while size := int((await reader.readline()).strip(), 16):
        parts.append(await reader.readexactly(size))
        await reader.readline()
    await reader.readline()
    return b"".join(parts)


async def run(plan: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "latencies": [],
        "errors": [],
        "bodies": [] if plan.get("keep_bodies") else None,
    }
    numbers = itertools.count()
    started, cpu = perf_counter(), process_time()
    deadline = started + plan.get("max_seconds", 60)
    stopped = asyncio.Event()
    # SIGTERM: send nothing more, and report what was seen (a watcher stopped from outside).
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopped.set)
    await asyncio.gather(
        *(
            _connection(
                plan["port"],
                plan.get("headers", {}),
                plan["requests"],
                numbers,
                deadline,
                stopped,
                out,
            )
            for _ in range(plan["concurrency"])
        )
    )
    out["seconds"] = perf_counter() - started
    out["generator_cpu_seconds"] = process_time() - cpu
    return out


def main() -> None:
    plan = json.load(sys.stdin)
    json.dump(asyncio.run(run(plan)), sys.stdout)


if __name__ == "__main__":
    main()
