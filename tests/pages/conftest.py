"""The pages' browser fixtures: the app under uvicorn, Debian's Chromium, a fresh page. The
served app and the browser are started once per run (per worker), like the suite's apps."""

from __future__ import annotations

import asyncio
import shutil
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn
from litestar import Litestar
from playwright.async_api import Browser, Page, async_playwright

from intake.app import create_app
from intake.config import Settings
from tests.conftest import fresh_state
from tests.pages.browser import CHROMIUM_ARGS


@dataclass
class PagesServer:
    """The app under uvicorn on 127.0.0.1 and a free port, in a thread and a loop of its own."""

    app: Litestar
    loop: asyncio.AbstractEventLoop
    url: str

    def call(self, work: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run ``work()`` in the server's loop, where the app's connections and tasks live."""
        asyncio.run_coroutine_threadsafe(work(), self.loop).result(timeout=60)


@pytest.fixture(scope="session")
def pages_server(settings: Settings, database_url: str) -> Iterator[PagesServer]:
    """Started once for the browser tests of the whole run: building and starting an app
    costs seconds, a test's worth."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = create_app(settings, database_url)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    loop = asyncio.new_event_loop()
    thread = threading.Thread(
        target=loop.run_until_complete, args=(server.serve(sockets=[sock]),), daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield PagesServer(app, loop, f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        if not thread.is_alive():
            loop.close()
        sock.close()


@pytest.fixture
def base_url(pages_server: PagesServer) -> Iterator[str]:
    """The served app's address, the app holding what a new one would (``fresh_state``)
    and its background work stopped after the test, as for ``client``."""
    pages_server.call(lambda: fresh_state(pages_server.app))
    try:
        yield pages_server.url
    finally:
        pages_server.call(pages_server.app.state.view_bodies.close)


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """Chromium, launched once per run; each test opens a context of its own."""
    executable = shutil.which("chromium")
    assert executable, "install Debian's chromium (make test does)"
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@pytest.fixture
async def page(browser: Browser, base_url: str) -> AsyncIterator[Page]:
    context = await browser.new_context(base_url=base_url)
    opened = await context.new_page()
    opened.set_default_timeout(20_000)
    yield opened
    await context.close()
