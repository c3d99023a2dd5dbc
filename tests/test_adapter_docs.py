"""The reference pages are generated comparisons with the code, not prose that drifts: each
adapter method (with its parameters), audit event value, plan value, model field and template
block is documented, and nothing documented is gone. A method, value, field or block added
without its line in docs/, or removed while docs/ still shows it, fails here."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
from django.db import models

from perscom_oauth import models as ours
from perscom_oauth.adapter import OrganizationAdapter

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
TEMPLATES = ROOT / "perscom_oauth" / "templates" / "perscom_oauth"


def page(name: str) -> str:
    return (DOCS / name).read_text()


def section(text: str, heading: str) -> str:
    """From ``heading`` to the next heading of the same or a higher level."""
    start = text.index(heading + "\n")
    level = heading.split(" ", 1)[0]
    following = re.compile(rf"^#{{1,{len(level)}}} ", re.M)
    end = following.search(text, start + len(heading))
    return text[start : end.start() if end else None]


def first_column(text: str) -> list[str]:
    """The backticked names in the first column of a Markdown table (``a``, ``b`` in one cell)."""
    cells = re.findall(r"^\| ([^|]+) \|", text, re.M)
    return [name for cell in cells for name in re.findall(r"`([^`]+)`", cell)]


def documented_methods() -> dict[str, list[str]]:
    """``#### `name(a, b)` `` headings of the adapter page: name -> parameter names."""
    found: dict[str, list[str]] = {}
    for heading in re.findall(r"^#### (.*)$", page("adapter.md"), re.M):
        for name, params in re.findall(r"`(\w+)(?:\(([^)]*)\))?`", heading):
            found[name] = [p.split("=")[0].strip() for p in params.split(",") if p.strip()]
    return found


def adapter_surface() -> dict[str, list[str] | None]:
    """Public methods (their parameters) and attributes of the adapter class."""
    surface: dict[str, list[str] | None] = {}
    for name, value in vars(OrganizationAdapter).items():
        if name.startswith("_"):
            continue
        if callable(value):
            surface[name] = [p for p in inspect.signature(value).parameters if p != "self"]
        else:
            surface[name] = None
    return surface


def test_every_adapter_method_is_documented_with_its_parameters() -> None:
    documented, code = documented_methods(), adapter_surface()
    assert set(code) - set(documented) == set(), "document these adapter methods in docs/adapter.md"
    assert set(documented) - set(code) == set(), "docs/adapter.md documents methods the adapter lacks"
    wrong = {
        name: (documented[name], params)
        for name, params in code.items()
        if params is not None and documented[name] != params
    }
    assert wrong == {}, "docs/adapter.md shows other parameters (documented, code)"
    assert len(code) >= 15


def test_every_method_signature_line_names_the_methods_real_annotations() -> None:
    text = page("adapter.md")
    for name, value in vars(OrganizationAdapter).items():
        if (
            name.startswith("_")
            or not callable(value)
            or name in {"membership_subquery", "remember_membership"}
        ):
            continue
        returns = inspect.signature(value).return_annotation
        shown = re.search(rf"`{name}\(self[^`]*\) -> ([^`]+)`", text)
        assert shown, f"docs/adapter.md has no signature line for {name}"
        assert shown[1] == returns, (name, shown[1], returns)


def test_every_audit_event_value_is_documented_with_its_label() -> None:
    table = section(page("audit.md"), "## Event values")
    rows = dict(re.findall(r"^\| `(\w+)` \| ([^|]+?) \|", table, re.M))
    code = {value: str(label) for value, label in ours.AuditEvent.Event.choices}
    assert rows == code


def test_every_plan_value_is_documented() -> None:
    table = section(page("models.md"), "### Plan values")
    documented = re.findall(r"^\| `(\w+)` \| ([A-Za-z]+)", table, re.M)
    assert documented == [(value, str(label)) for value, label in ours.Organization.Plan.choices]


@pytest.mark.parametrize(
    "model",
    [
        ours.Organization,
        ours.Domain,
        ours.Membership,
        ours.Application,
        ours.Grant,
        ours.AuditEvent,
        ours.AuthorizationCodeUse,
        ours.Generation,
    ],
    ids=lambda model: model.__name__,
)
def test_every_field_of_the_model_is_in_its_table(model: type[models.Model]) -> None:
    table = section(page("models.md"), f"## {model.__name__}").split("\n### ")[0]
    documented = set(first_column(table))
    fields = {field.name for field in model._meta.get_fields() if field.concrete or field.many_to_many}
    assert fields - documented == set(), f"add these {model.__name__} fields to docs/models.md"
    assert documented - fields == set(), f"docs/models.md lists {model.__name__} fields that are gone"


def test_every_template_block_is_documented() -> None:
    blocks = {
        name
        for path in TEMPLATES.rglob("*.html")
        for name in re.findall(r"{%\s*block\s+(\w+)\s*%}", path.read_text())
    }
    documented = set(first_column(section(page("templates.md"), "## Blocks")))
    assert blocks - documented == set(), "document these blocks in docs/templates.md"
    assert documented - blocks == set(), "docs/templates.md lists blocks the templates lack"
