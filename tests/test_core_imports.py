"""The core knows no app: no module under navportal/ imports applications, review or portal (the apps import
the core, portal imports all three). Read from the source with ast, so an import inside a function — or a
module no test happens to load — counts too.

Allowed: settings.py naming the apps in INSTALLED_APPS and urls.py including their URLconfs by string (neither
is an import), and the models' string references ("applications.Organisation") that Django resolves."""

import ast
from pathlib import Path

import navportal

APPS = {"applications", "review", "portal"}
CORE = Path(navportal.__file__).parent


def imported_modules(tree):
    """Every module a tree imports: import statements, and import_module("…") / __import__("…") calls."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            yield node.module
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) and (
                getattr(node.func, "id", None) in ("import_module", "__import__")
                or getattr(node.func, "attr", None) == "import_module"):
            yield str(node.args[0].value)


def app_imports(root):
    return sorted(f"{path.relative_to(root.parent)}: {module}"
                  for path in root.rglob("*.py")
                  for module in imported_modules(ast.parse(path.read_text(encoding="utf-8"), str(path)))
                  if module.split(".")[0] in APPS)


def test_the_core_imports_no_app():
    assert app_imports(CORE) == []


def test_the_check_finds_an_import_of_an_app(tmp_path):
    """The control: the same walk does find every form of import."""
    package = tmp_path / "navportal"
    (package / "sub").mkdir(parents=True)
    (package / "views.py").write_text("from review.models import Call\nfrom . import models\n")
    (package / "sub" / "late.py").write_text(
        "import importlib\n\ndef f():\n    import applications.services\n"
        "    importlib.import_module('portal.views')\n")
    assert app_imports(package) == ["navportal/sub/late.py: applications.services",
                                    "navportal/sub/late.py: portal.views", "navportal/views.py: review.models"]
