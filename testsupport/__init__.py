"""Test harness code: real-process drills, WebSocket fuzzing, race-test threads.

Imported only by tests (`*/tests/`, `e2e/`, `fuzz/`, `conftest.py`), never by production code;
`common/tests/test_layers.py` enforces that.
"""
