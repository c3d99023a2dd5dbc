"""The Architecture page (docs/architecture.md) stays in step with the package's folders.

Every sub-package is in the page's layer table and every folder the table names exists; every
top-level module is named on the page; every dotted name on the page (``perscom_oauth.x.y``,
and ``tokens.check.check_access_token`` in the request's path) resolves to a module or an
attribute; the table's order is the import order; each sub-package says in its docstring what
it owns and what it must not do. No database: only imports.
"""

from __future__ import annotations

import ast
import importlib
import re
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "perscom_oauth"
PAGE = ROOT / "docs" / "architecture.md"
#: Folders with an ``__init__.py`` that are no layer of their own.
NOT_LAYERS = {"migrations", "templatetags", "management", "static", "templates"}


def sub_packages() -> set[str]:
    return {
        path.parent.name
        for path in PACKAGE.glob("*/__init__.py")
        if path.parent.name not in NOT_LAYERS and not path.parent.name.startswith((".", "_"))
    }


def top_level_modules() -> set[str]:
    return {path.stem for path in PACKAGE.glob("*.py") if path.stem != "__init__"}


def section(text: str, heading: str) -> str:
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def table_folders(text: str) -> list[str]:
    """The first column of the "Layers" table, in order: ``| `tokens/` | ...``."""
    return re.findall(r"^\| `([\w/]+)/` \|", section(text, "Layers"), re.M)


def code_of(text: str) -> str:
    """Every code span and fenced block of the page, one per line."""
    blocks = re.findall(r"^```\w*\n(.*?)^```$", text, re.S | re.M)
    spans = re.findall(r"`([^`\n]+)`", re.sub(r"^```\w*\n.*?^```$", "", text, flags=re.S | re.M))
    return "\n".join([*blocks, *spans])


def dotted_names(text: str) -> set[str]:
    """Dotted names in the page's code that start at the package, a sub-package or a top-level
    module, as ``perscom_oauth.…`` (a file name such as ``urls.py`` or ``adapter.md`` is none)."""
    roots = "|".join(sorted(sub_packages() | top_level_modules() | {"perscom_oauth"}, key=len, reverse=True))
    pattern = re.compile(rf"(?<![\w./-])((?:{roots})(?:\.\w+)+)(?![\w/(-])")
    names = set()
    for match in pattern.finditer(code_of(text)):
        name = match[1]
        if re.search(r"\.(py|md|yml|html)$", name):
            continue
        names.add(name if name.startswith("perscom_oauth.") else f"perscom_oauth.{name}")
    return names


def resolves(dotted: str) -> bool:
    """A module, or an attribute (at any depth) of the longest module prefix."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)  # the deprecated paths warn
                target: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        try:
            for attribute in parts[cut:]:
                target = getattr(target, attribute)
        except AttributeError:
            return False
        return True
    return False


@pytest.fixture(scope="module")
def page() -> str:
    return PAGE.read_text()


def test_every_sub_package_is_in_the_table(page: str) -> None:
    assert sub_packages() - set(table_folders(page)) == set(), "add the folder to the Layers table"


def test_every_folder_the_table_names_exists(page: str) -> None:
    folders = table_folders(page)
    assert len(folders) >= 10
    missing = [folder for folder in folders if not (PACKAGE / folder / "__init__.py").exists()]
    assert missing == [], "the Layers table names a folder that is gone"


def test_every_top_level_module_is_named(page: str) -> None:
    code = code_of(page)
    unnamed = {
        module for module in top_level_modules() if not re.search(rf"(?<![\w/-]){module}(?![\w/-])", code)
    }
    assert unnamed == set(), "name the module on the Architecture page"


def test_every_dotted_name_resolves(page: str) -> None:
    names = dotted_names(page)
    assert len(names) >= 30
    assert {
        "perscom_oauth.tokens.check.check_access_token",
        "perscom_oauth.validators.OAuth2Validator",
    } <= names
    assert sorted(name for name in names if not resolves(name)) == []


def test_the_methods_the_picture_names_exist(page: str) -> None:
    """The adapter's methods (``adapter: has_oauth()``) and the validator's (one per line
    under ``server.validator.OAuth2Validator``) in the request's path are ours."""
    from perscom_oauth.adapter import OrganizationAdapter
    from perscom_oauth.server.validator import OAuth2Validator

    picture = section(page, "A request's path")
    adapter = set(re.findall(r"adapter(?::|'s) (\w+)\(\)", picture))
    # The lines indented under the validator's, up to the next line that is not.
    validator = re.search(r"^( +)server\.validator\.OAuth2Validator\n((?:\1 +\S.*\n)+)", picture, re.M)
    assert validator is not None
    hooks = set(re.findall(r"^\s+([a-z_]+)  ", validator[2], re.M))
    assert len(adapter) >= 2 and len(hooks) >= 4
    ours = {
        name
        for cls in OAuth2Validator.__mro__
        if cls.__module__.startswith("perscom_oauth")
        for name in vars(cls)
    }
    assert {name for name in adapter if not hasattr(OrganizationAdapter, name)} | (hooks - ours) == set()


def test_each_folder_imports_only_folders_below_it(page: str) -> None:
    """The Layers table's order: no folder imports one listed above it (at run time)."""
    grimp = pytest.importorskip("grimp")
    graph = grimp.build_graph("perscom_oauth", exclude_type_checking_imports=True)
    order = table_folders(page)

    def folder_of(module: str) -> str:
        return module.split(".")[1] if module.count(".") else ""

    upward = {
        f"{folder_of(module)} imports {folder_of(imported)}"
        for module in graph.modules
        if folder_of(module) in order
        for imported in graph.find_modules_directly_imported_by(module)
        if folder_of(imported) in order and order.index(folder_of(imported)) < order.index(folder_of(module))
    }
    assert upward == set(), "reorder the Layers table, or remove the import"


@pytest.mark.parametrize("name", sorted(sub_packages()))
def test_each_sub_package_says_what_it_owns_and_must_not_do(name: str) -> None:
    docstring = ast.get_docstring(ast.parse((PACKAGE / name / "__init__.py").read_text())) or ""
    assert "Owns:" in docstring and "Must not:" in docstring
