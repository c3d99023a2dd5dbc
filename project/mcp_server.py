"""The demo's MCP server: the organization's members, awards and ranks, as MCP tools.

``python -m project.mcp_server`` serves ``http://localhost:8001/mcp`` (streamable HTTP) beside
``manage.py runserver localhost:8000``: the same host names, so the same organizations
(``localhost`` is the demo organization, ``basic.localhost`` the Basic-plan one), and the same
database. A second process because the demo's Django server is WSGI (``runserver``) and the
MCP SDK's transport is ASGI (Starlette, streamed responses); one process would need an ASGI
server for Django too, which the demo does not otherwise need.

Each tool needs the scope of its data (``view:user``, ``view:award``, ``view:rank``) and a
token issued for this server (``resource=http://localhost:8001/mcp``); the token's organization
is the host's, and each query is limited to it.
"""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

if TYPE_CHECKING:
    from perscom_oauth.contrib.mcp import ProtectedMCP

#: Where ``make demo`` serves it, beside Django's 8000.
PORT = 8001
AUTHORIZATION_SERVER_PORT = 8000


class Member(BaseModel):
    id: int
    username: str
    first_name: str
    last_name: str


class AwardRow(BaseModel):
    id: int
    name: str
    description: str


class RankRow(BaseModel):
    id: int
    name: str
    abbreviation: str
    order: int


def create(authorization_server_port: int | None = AUTHORIZATION_SERVER_PORT) -> ProtectedMCP:
    """The demo's MCP server and its tools (Django must be set up: ``main()`` does)."""
    from django.contrib.auth import get_user_model
    from mcp.server.mcpserver import MCPServer

    from perscom_oauth.contrib.mcp import ProtectedMCP, run_in_django, token
    from project.demo.models import Award, Rank

    server: MCPServer[Any] = MCPServer(
        "PERSCOM demo",
        instructions="The personnel data of the organization whose host you connected to.",
    )
    protected = ProtectedMCP(
        server, authorization_server_port=authorization_server_port, resource_name="PERSCOM demo MCP server"
    )

    def members(organization_id: int) -> list[Member]:
        # The organization's members, as the demo API's /api/users/ lists them.
        users = get_user_model().objects.filter(perscom_memberships__organization_id=organization_id)
        return [
            Member(id=u.pk, username=u.get_username(), first_name=u.first_name, last_name=u.last_name)
            for u in users.order_by("pk")
        ]

    def awards(organization_id: int) -> list[AwardRow]:
        return [
            AwardRow(id=a.pk, name=a.name, description=a.description)
            for a in Award.objects.filter(organization_id=organization_id)
        ]

    def ranks(organization_id: int) -> list[RankRow]:
        return [
            RankRow(id=r.pk, name=r.name, abbreviation=r.abbreviation, order=r.order)
            for r in Rank.objects.filter(organization_id=organization_id)
        ]

    @protected.tool("view:user", title="Members")
    async def list_members() -> list[Member]:
        """The members of the organization."""
        return await run_in_django(members, token().organization_id)

    @protected.tool("view:award", title="Awards")
    async def list_awards() -> list[AwardRow]:
        """The awards the organization gives."""
        return await run_in_django(awards, token().organization_id)

    @protected.tool("view:rank", title="Ranks")
    async def list_ranks() -> list[RankRow]:
        """The organization's ranks, lowest first."""
        return await run_in_django(ranks, token().organization_id)

    return protected


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="the address to listen on")
    parser.add_argument("--port", type=int, default=PORT)
    parser.add_argument(
        "--authorization-server-port",
        type=int,
        default=AUTHORIZATION_SERVER_PORT,
        help="the port of the Django server (the organizations' issuers); 0: the same as this server's",
    )
    options = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    import django

    django.setup()
    import uvicorn

    protected = create(options.authorization_server_port or None)
    uvicorn.run(protected.streamable_http_app(), host=options.host, port=options.port)


if __name__ == "__main__":
    main()
