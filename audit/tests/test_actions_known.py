"""Every action the code writes to the audit log is one of AuditLog.Action: the moderation log's
`?action=` filter only takes those, so an unknown one could be written but never filtered."""

from __future__ import annotations

import ast
from pathlib import Path

from audit.models import AuditLog
from common.tests.test_layers import production_files


def _literal_actions() -> dict[str, str]:
    """action string -> where: `audit_record(action="...")` calls and `*_ACTION = "..."` constants."""
    found: dict[str, str] = {}
    for path in production_files():
        tree = ast.parse(Path(path).read_text())
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", "")) == "audit_record"
            ):
                for kw in node.keywords:
                    if kw.arg == "action" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                        found[kw.value.value] = f"{path}:{node.lineno}"
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                names = [t.id for t in node.targets if isinstance(t, ast.Name)]
                if any(n.endswith("_ACTION") for n in names) and isinstance(node.value.value, str):
                    found[node.value.value] = f"{path}:{node.lineno}"
    return found


def test_every_audited_action_is_a_known_choice() -> None:
    actions = _literal_actions()
    assert {"score_void", "confirm_score", "game_key_create"} <= set(actions), "the scan finds the calls"
    unknown = {a: where for a, where in actions.items() if a not in AuditLog.Action.values}
    assert not unknown, unknown
