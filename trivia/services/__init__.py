"""Trivia writes (SPEC §5). Each service owns its transaction; frames go out after commit."""

from trivia.services.attempts import AttemptRequest, AttemptResult, NoRound, attempt_submit, attempts_submit
from trivia.services.entries import ImportResult, entries_import, entry_create, entry_delete, entry_update
from trivia.services.game import round_advance, round_frame, round_start, tick
from trivia.services.moderation import entry_report, report_ban, report_dismiss, report_unban
from trivia.services.system import disconnect_everyone

__all__ = [
    "AttemptRequest",
    "AttemptResult",
    "ImportResult",
    "NoRound",
    "attempt_submit",
    "attempts_submit",
    "disconnect_everyone",
    "entries_import",
    "entry_create",
    "entry_delete",
    "entry_report",
    "entry_update",
    "report_ban",
    "report_dismiss",
    "report_unban",
    "round_advance",
    "round_frame",
    "round_start",
    "tick",
]
