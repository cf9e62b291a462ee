"""The package layering, read from the source: no import hides inside a function, and the strategy
calendar (app/strategy) sits below every feature, so no feature needs a late import to reach it."""

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "app"
# The application factory imports the models, blueprints and CLI while it builds the app: the usual
# Flask pattern, and the only place a function may import.
FACTORY = {("__init__.py", name) for name in ("create_app", "_register_models", "_register_blueprints")}
FEATURES = ("app.actions", "app.cycle", "app.kpis", "app.refresh", "app.reports")


def _modules() -> list[Path]:
    return sorted(APP.rglob("*.py"))


def _imported(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    return [node.module or ""]


def function_level_imports(tree: ast.Module, relative: str) -> list[str]:
    """"function:line module" for every import inside a function body, outside the app factory."""
    found = []

    def visit(node: ast.AST, function: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                visit(child, function or child.name)
            elif isinstance(child, (ast.Import, ast.ImportFrom)) and function is not None:
                if (relative, function) not in FACTORY:
                    found.extend(f"{relative}:{child.lineno} in {function}() imports {m}" for m in _imported(child))
            else:
                visit(child, function)

    visit(tree, None)
    return found


def all_imports(tree: ast.Module) -> list[str]:
    return [m for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom)) for m in _imported(node)]


def _parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def test_no_module_imports_inside_a_function():
    found = [hit for path in _modules()
             for hit in function_level_imports(_parse(path), path.relative_to(APP).as_posix())]
    assert found == []


def test_the_check_finds_an_import_inside_a_function():
    tree = ast.parse("import os\n\ndef f():\n    if True:\n        from app.cycle import service\n")
    assert function_level_imports(tree, "x.py") == ["x.py:5 in f() imports app.cycle"]
    factory = ast.parse("def create_app():\n    from app.cli import register_cli\n")
    assert function_level_imports(factory, "__init__.py") == []
    assert function_level_imports(factory, "other.py") == ["other.py:2 in create_app() imports app.cli"]


@pytest.mark.parametrize("path", sorted((APP / "strategy").glob("*.py")), ids=lambda p: p.name)
def test_the_calendar_imports_no_feature_and_no_flask(path):
    imports = all_imports(_parse(path))
    assert [m for m in imports if m.startswith(FEATURES) or m.split(".")[0] in ("flask", "flask_login")] == []


def test_the_calendar_exists_as_one_folder():
    assert {p.name for p in (APP / "strategy").glob("*.py")} >= {"__init__.py", "quarters.py", "models.py",
                                                                  "service.py"}
    assert not (APP / "quarters.py").exists()
