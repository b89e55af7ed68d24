"""import_entries (jService JSON and CSV) and the question bank we ship."""

import csv
import json
from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from trivia import rules
from trivia.importing import jservice_value, read_bank
from trivia.models import Entry
from trivia.seed import BANK, load_bank

pytestmark = pytest.mark.django_db


def run_import(path) -> str:
    out = StringIO()
    call_command("import_entries", str(path), stdout=out)
    return out.getvalue()


def test_import_jservice_json_skips_and_counts_invalid_rows(tmp_path):
    rows = [
        {
            "id": 1,
            "question": "This <i>red</i> planet",
            "answer": "<i>Mars</i>",
            "value": 200,
            "category": {"title": "space"},
        },
        {"id": 2, "question": "Largest ocean", "answer": "the Pacific", "value": 50, "category": {"title": "geo"}},
        {"id": 3, "question": "Final clue", "answer": "Rome", "value": None, "category": {"title": "history"}},
        {"id": 4, "question": "", "answer": "x", "value": 100, "category": {"title": "empty"}},
        {"id": 5, "question": "Odd money", "answer": "Oslo", "value": 250, "category": {"title": "geo"}},
        {"id": 6, "question": "No letters", "answer": "?!", "value": 400, "category": {"title": "geo"}},
        "not an object",
        {"id": 7, "question": "Largest ocean", "answer": "The Pacific!", "value": 30, "category": {"title": "geo"}},
        {"id": 8, "question": "Big board", "answer": "Tokyo", "value": 2000, "category": {"title": "geo"}},
    ]
    path = tmp_path / "clues.json"
    path.write_text(json.dumps(rows))
    output = run_import(path)
    assert "Imported 3 entries" in output and "skipped 5 invalid rows and 1 duplicates" in output
    got = list(Entry.objects.order_by("id").values_list("category", "clue", "answer", "value"))
    assert got == [
        ("space", "This red planet", "Mars", 20),
        ("geo", "Largest ocean", "the Pacific", 50),
        ("geo", "Big board", "Tokyo", 100),
    ]


def test_import_csv_with_or_without_header(tmp_path):
    path = tmp_path / "bank.csv"
    path.write_text(
        "category,clue,answer,value\n"
        'Geo,"Capital of Tunisia, on a lake",Tunis,20\n'
        "Geo,Too few columns,Paris\n"
        "Geo,Bad value,Rome,25\n"
        "Geo,Not a number,Rome,ten\n"
        "\n"
        "Games,A plumber,Mario,10\n"
    )
    output = run_import(path)
    assert "Imported 2 entries" in output and "skipped 3 invalid rows and 0 duplicates" in output
    path.write_text("Games,A plumber,Mario,10\nGames,A hedgehog,Sonic,10\n")
    assert "Imported 1 entries" in run_import(path)
    assert Entry.objects.count() == 3


def test_import_refuses_unreadable_files(tmp_path):
    with pytest.raises(CommandError):
        run_import(tmp_path / "missing.csv")
    broken = tmp_path / "broken.json"
    broken.write_text("[{nope")
    with pytest.raises(CommandError):
        run_import(broken)
    not_a_list = tmp_path / "obj.json"
    not_a_list.write_text('{"question": "x"}')
    with pytest.raises(CommandError):
        run_import(not_a_list)


def test_jservice_values_map_onto_our_scale():
    assert [jservice_value(v) for v in [10, 100, 200, 1000, 1200, 2000, 250, 5, None, "400", True]] == [
        10,
        100,
        20,
        100,
        100,
        100,
        None,
        None,
        None,
        40,
        None,
    ]


def test_read_bank_detects_the_format():
    assert (
        next(iter(read_bank('[{"question": "Q", "answer": "A", "value": 10, "category": {"title": "C"}}]'))).clue == "Q"
    )
    assert next(iter(read_bank("C,Q,A,10", filename="x.csv"))).answer == "A"


def test_the_shipped_bank_has_500_varied_valid_entries():
    rows = list(csv.reader(StringIO(BANK.read_text(encoding="utf-8"))))
    header, rows = rows[0], rows[1:]
    assert header == ["category", "clue", "answer", "value"]
    assert len(rows) >= 500
    categories = Counter(row[0] for row in rows)
    assert len(categories) >= 20 and max(categories.values()) <= len(rows) // 10
    assert len({rules.normalise(row[1]) for row in rows}) == len(rows)  # no clue twice
    for category, clue, answer, value in rows:
        assert category and clue, clue
        assert 1 <= len(answer.split()) <= 4, answer
        assert rules.answer_problem(answer) is None, answer
        assert rules.value_problem(int(value)) is None, value
    values = {int(row[3]) for row in rows}
    assert min(values) == 10 and max(values) == 100 and len(values) == 10


def test_seed_loads_the_bank_once():
    created = load_bank()
    assert created >= 500 and Entry.objects.count() == created
    assert load_bank() == 0
