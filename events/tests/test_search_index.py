"""The search index (events/search.py) never changes the answer, follows every write, and is used.

The answer is defined without any index: an event matches when its folded text
(`Event.search_text`) contains every folded term of the query. These tests compare the
selector with that definition computed in Python, on whichever database the suite runs.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events.models import Event
from events.rules import search_terms
from events.search import FTS_TABLE, SQLITE_TRIGGERS, ensure_search_index, fts_phrases, uses_fts
from events.selectors import event_list
from events.services import event_update
from events.tests.factories import EventFactory

pytestmark = pytest.mark.django_db

EVENTS = "/api/v1/events/"

TEXTS = [
    ("Festival International de Carthage", "Opening night.", "Roman Theatre of Carthage"),
    ("Soirée Café-Théâtre", "Comedy in Tounsi; « l'humour » d'abord.", "Café des Délices, Sidi Bou Saïd"),
    ("Sahara Festival", 'Camel races, the "Mehari" parade.', "Place Hnich, Douz"),
    ("Tabarka Jazz", "Jazz à la basilique — 4 nuits.", "Basilique de Tabarka"),
    ("ÉTÉ 100% Rap", "Rap_battles, 50% off before 8pm.", "Sfax"),
    ("Ksar Ouled Soltane", "Granaries, Amazigh songs.", "Tataouine"),
    ("Ǆemal's night", "ﬁlm ﬁesta: ligatures fold", "Ariana"),
    ("Ramadan nights", "مالوف وسطمبالي", "Médina de Tunis"),
]


def expected(query: str) -> set[str]:
    terms = search_terms(query)
    return {e.title for e in Event.objects.all() if all(term in e.search_text for term in terms)}


def found(query: str) -> set[str]:
    return set(event_list(search=query).values_list("title", flat=True))


@pytest.fixture
def catalogue():
    return [EventFactory(title=t, description=d, location=loc) for t, d, loc in TEXTS]


@pytest.mark.parametrize(
    "query",
    [
        "festival",
        "FÉSTIVAL carthage",
        "de",  # 2 characters: no trigram, matched by LIKE
        "a",
        "é",
        "jazz a",  # a long and a short term together
        "100%",
        "rap_",
        "50%",
        '"mehari"',  # a double quote inside an FTS5 phrase
        "l'humour",
        "fiesta",  # folded ligature ﬁ
        "dzemal",  # Ǆ -> dz
        "مالوف",
        "sidi bou said",
        "nowhere",
        "festival nowhere",
        "it",
    ],
)
def test_search_finds_exactly_the_events_whose_folded_text_contains_every_term(catalogue, query):
    assert found(query) == expected(query)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_query_gives_the_same_answer_as_the_definition(catalogue, data):
    # Pieces of the texts (so most queries match something), any other text, and mixes of both.
    words = [w for row in TEXTS for part in row for w in part.split()]
    piece = st.tuples(st.sampled_from(words), st.integers(0, 12), st.integers(1, 6)).map(
        lambda t: t[0][t[1] : t[1] + t[2]] or t[0]
    )
    noise = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=5)
    word = st.one_of(piece, noise)
    query = " ".join(data.draw(st.lists(word, min_size=1, max_size=3)))
    assert found(query) == expected(query)


def test_search_follows_every_way_an_event_is_written(catalogue, admin):
    # bulk_create (no save(): the caller fills the derived columns)
    bulk = Event(
        title="Bulk Festival of Kélibia", location="Kélibia", city="Nabeul", tickets_total=10, tickets_available=10,
        ticket_price=Decimal("5.00"), starts_at=timezone.now() + timedelta(days=5),
    )  # fmt: skip
    bulk.refresh_derived()
    Event.objects.bulk_create([bulk])
    assert "Bulk Festival of Kélibia" in found("kelibia")
    # a service update of the title
    jazz = Event.objects.get(title="Tabarka Jazz")
    event_update(event_id=jazz.pk, actor=admin, title="Tabarka Blues")
    assert found("blues") == {"Tabarka Blues"}
    assert found("jazz") == expected("jazz") == {"Tabarka Blues"}  # still in its description
    # a queryset update of the column itself (raw writes keep the index right too)
    Event.objects.filter(title="Ksar Ouled Soltane").update(search_text="ksar renamed")
    assert found("renamed") == {"Ksar Ouled Soltane"} and found("granaries") == set()
    # a delete
    Event.objects.filter(title="Sahara Festival").delete()
    assert "Sahara Festival" not in found("festival")
    assert (
        found("festival") == expected("festival") == {"Festival International de Carthage", "Bulk Festival of Kélibia"}
    )


def test_fts_phrases_quote_each_term():
    assert fts_phrases(["jazz", 'say "hi"']) == '"jazz" "say ""hi"""'


# -- SQLite: the FTS5 trigram table ---------------------------------------------------------


def _sqlite_only() -> None:
    if not uses_fts(connection):
        pytest.skip("the FTS5 trigram table is the SQLite side of the search index")


def test_sqlite_search_reads_the_fts_table_for_terms_of_three_characters_or_more(catalogue):
    _sqlite_only()
    with CaptureQueriesContext(connection) as ctx:
        assert found("festival carthage") == {"Festival International de Carthage"}
    (sql,) = [q["sql"] for q in ctx.captured_queries]
    assert FTS_TABLE in sql and "MATCH" in sql
    sql, params = event_list(search="festival").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "VIRTUAL TABLE INDEX" in plan and FTS_TABLE in plan
    with CaptureQueriesContext(connection) as ctx:
        found("de")
    assert FTS_TABLE not in ctx.captured_queries[0]["sql"]  # too short for trigrams: LIKE


def _triggers() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events_event'")
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.django_db(transaction=True)
def test_a_table_remake_drops_the_triggers_and_the_post_migrate_hook_puts_them_back():
    _sqlite_only()
    EventFactory(title="Before the remake")
    field = Event._meta.get_field("city_key")
    wider = models.CharField(max_length=101, default="", editable=False)
    wider.set_attributes_from_name("city_key")
    # What any later migration altering Event does on SQLite: copy into a new table, drop the old.
    with connection.schema_editor() as editor:
        editor.alter_field(Event, field, wider)
    try:
        assert _triggers() == set()
        EventFactory(title="Written while the triggers were gone")
        ensure_search_index(using="default")
        assert _triggers() == set(SQLITE_TRIGGERS)
        assert found("remake") == {"Before the remake"}
        assert found("triggers were gone") == {"Written while the triggers were gone"}  # rebuilt
        EventFactory(title="After the repair")
        assert found("repair") == {"After the repair"}
    finally:
        with connection.schema_editor() as editor:
            editor.alter_field(Event, wider, field)
        ensure_search_index(using="default")
    assert _triggers() == set(SQLITE_TRIGGERS)


# -- PostgreSQL: the pg_trgm GIN index ------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_search_uses_the_trigram_index_and_never_scans_the_table(api):
    soon = timezone.now() + timedelta(days=1)
    words = ["jazz", "cinema", "theatre", "esports", "heritage", "malouf", "derby", "pottery"]
    rows = []
    for i in range(20_000):
        title = f"{words[i % len(words)].title()} night {i} in Tunis"
        if i % 500 == 0:
            title = f"Zanzibar Festival {i}"  # 40 rare matches
        event = Event(
            title=title, description="Doors open at 19:00.", location="Cité de la Culture", city="Tunis",
            tickets_total=100, tickets_available=100, ticket_price=Decimal("10.00"),
            starts_at=soon + timedelta(hours=i),
        )  # fmt: skip
        event.refresh_derived()
        rows.append(event)
    Event.objects.bulk_create(rows, batch_size=5000)
    # What autovacuum does soon after a bulk load: planner statistics, and the GIN index's pending
    # list merged (a long pending list makes every index search read it, and the planner knows).
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE events_event")

    plans = {}
    for query in ("zanzibar", "zanzibar festival"):
        with CaptureQueriesContext(connection) as ctx:
            response = api.get(EVENTS, {"search": query})
        assert response.status_code == 200 and response.json()["count"] == 40
        for captured in ctx.captured_queries:
            if "events_event" in captured["sql"]:
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN " + captured["sql"])
                    plans[captured["sql"]] = "\n".join(row[0] for row in cursor.fetchall())
    assert len(plans) == 4  # count and page, for each query
    for plan in plans.values():
        assert "Seq Scan on events_event" not in plan, plans
        assert "event_search_trgm" in plan, plans
    # A common word (1 event in 8): the page walks the starts_at index and stops after about
    # 8 x 20 rows, which is cheaper than collecting every match; it never scans the table either.
    with CaptureQueriesContext(connection) as ctx:
        assert api.get(EVENTS, {"search": "jazz"}).json()["count"] == sum("jazz" in e.search_text for e in rows)
    (page_sql,) = [q["sql"] for q in ctx.captured_queries if "LIMIT" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + page_sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Seq Scan on events_event" not in plan, plan
