"""The demo's MCP server (project/mcp_server.py) run for real, and the MCP SDK's own client.

The server runs under uvicorn in a thread of the test process, so it reads the test database
(the tests are transactional: it sees what they commit). Its ORM work runs in Django's thread
for synchronous code, as in production (``perscom_oauth.contrib.mcp.run_in_django``).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx2
import uvicorn
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client

from project.mcp_server import create


@dataclass(frozen=True)
class MCPServerUnderTest:
    port: int

    def url(self, host: str = "localhost") -> str:
        """The MCP endpoint at ``host``: the audience a token for it must carry."""
        return f"http://{host}:{self.port}/mcp"

    def metadata_url(self, host: str = "localhost") -> str:
        return f"http://{host}:{self.port}/.well-known/oauth-protected-resource/mcp"


@contextlib.contextmanager
def running(authorization_server_port: int) -> Iterator[MCPServerUnderTest]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = int(listener.getsockname()[1])
    app = create(authorization_server_port).streamable_http_app()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the MCP server did not start")
        time.sleep(0.02)
    try:
        yield MCPServerUnderTest(port)
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        listener.close()


def http_client(token: str | None = None, host: str | None = None) -> httpx2.AsyncClient:
    """An HTTP client for 127.0.0.1, as ``host`` when given (``basic.localhost`` does not resolve
    here, as it does in a browser), with ``Authorization: Bearer <token>``."""
    headers = {}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if host is not None:
        headers["Host"] = host
    return httpx2.AsyncClient(headers=headers, timeout=20)


@contextlib.asynccontextmanager
async def session(
    url: str, token: str | None = None, host: str | None = None
) -> AsyncIterator[ClientSession]:
    """An initialized MCP session with the SDK's client (streamable HTTP)."""
    async with (
        http_client(token, host) as client,
        streamable_http_client(url, http_client=client) as (read, write),
        ClientSession(read, write) as opened,
    ):
        await opened.initialize()
        yield opened


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)
