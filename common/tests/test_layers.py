"""The module layout holds (issue 15, "Structure"): production code never imports the test
harness (`testsupport`), and each app imports only apps of a lower layer, so there is no cycle
between apps. Read from the source with `ast`, so imports inside functions count too."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]

# Lowest first. An app may import its own modules and those of apps in lower layers, never those of
# its own layer or a higher one. To add an app, give it a layer here (a guard test insists).
LAYERS: list[set[str]] = [
    {"common"},  # shared plumbing: errors, pagination, throttles, Redis, transactions
    {"audit"},  # audit_record: every app may write the log
    {"gamers"},  # accounts and the coin ledger
    {"sessions_app", "events", "trivia", "leaderboard"},  # the domain apps, side by side
    # read sides over the domain apps: dashboard, log API, calendar feeds, Discord, squad boards
    {"moderation", "calendars", "bot", "squads"},
    {"config", "deploy"},  # settings, URLs, ASGI; the cluster runner
]
LAYER_OF = {package: i for i, layer in enumerate(LAYERS) for package in layer}
# Test and tooling code: may import anything; production code may import none of it.
NOT_PRODUCTION = {"testsupport", "e2e", "fuzz", "bench", "conftest"}
DOTTED_TESTSUPPORT = re.compile(r"^testsupport(\.\w+)*$")


@dataclass(frozen=True)
class Import:
    path: str
    line: int
    module: str  # absolute dotted name

    @property
    def top(self) -> str:
        return self.module.split(".")[0]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(source: str, module: str, path: str, *, is_package: bool = False) -> list[Import]:
    """Every import in the source (top level, in functions, under TYPE_CHECKING), made absolute;
    and every string that is a dotted path into testsupport (settings, import_string)."""
    package = module if is_package else module.rpartition(".")[0]
    found: list[Import] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [Import(path, node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.append(Import(path, node.lineno, target))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and DOTTED_TESTSUPPORT.match(node.value):
            found.append(Import(path, node.lineno, node.value))
    return found


def production_files() -> list[Path]:
    files = []
    for package in LAYER_OF:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).parts
            if "tests" in relative or path.name == "conftest.py":
                continue
            files.append(path)
    return files


def production_imports() -> list[Import]:
    found = []
    for path in production_files():
        found += imports_of(
            path.read_text(encoding="utf-8"),
            module_name(path),
            str(path.relative_to(ROOT)),
            is_package=path.name == "__init__.py",
        )
    return found


def violations(found: list[Import], own: dict[str, str]) -> list[str]:
    """`own` maps each file to its package. Returns one line per forbidden import."""
    bad = []
    for imp in found:
        importer = own[imp.path]
        if imp.top in NOT_PRODUCTION:
            bad.append(f"{imp.path}:{imp.line} imports {imp.module}: production code never imports test code")
        elif imp.top in LAYER_OF and imp.top != importer and LAYER_OF[imp.top] >= LAYER_OF[importer]:
            side = "sideways" if LAYER_OF[imp.top] == LAYER_OF[importer] else "upwards"
            bad.append(f"{imp.path}:{imp.line} imports {imp.module}: {importer} may not import {imp.top} ({side})")
    return bad


def test_production_code_imports_no_test_code_and_no_app_above_it():
    found = production_imports()
    own = {imp.path: Path(imp.path).parts[0] for imp in found}
    assert len({imp.path for imp in found}) > 100, "the walk found too few modules: is ROOT right?"
    assert violations(found, own) == []


def test_every_project_app_and_package_has_a_layer():
    local = {
        app.split(".")[0] for app in settings.INSTALLED_APPS if (ROOT / app.split(".")[0] / "__init__.py").exists()
    }
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    assert local <= set(LAYER_OF)
    assert packages <= set(LAYER_OF) | NOT_PRODUCTION


def test_the_walk_catches_an_upward_import_a_cycle_and_a_lazy_testsupport_import():
    source = (
        "from trivia.models import Round\n"
        "from . import rules\n"
        "def helper():\n"
        "    from testsupport.drills import Stack\n"
        "    return import_string('testsupport.testing.run_in_threads')\n"
    )
    found = imports_of(source, "common.example", "common/example.py")
    found += imports_of("from ..services import x\n", "trivia.services.game", "trivia/services/game.py")
    found += imports_of("import leaderboard.models\n", "trivia.example", "trivia/example.py")
    own = {"common/example.py": "common", "trivia/services/game.py": "trivia", "trivia/example.py": "trivia"}
    assert violations(found, own) == [
        "common/example.py:1 imports trivia.models: common may not import trivia (upwards)",
        "common/example.py:4 imports testsupport.drills: production code never imports test code",
        "common/example.py:5 imports testsupport.testing.run_in_threads: production code never imports test code",
        "trivia/example.py:1 imports leaderboard.models: trivia may not import leaderboard (sideways)",
    ]
    assert [imp.module for imp in found[:2]] == ["trivia.models", "common"]
    assert found[4].module == "trivia.services"
