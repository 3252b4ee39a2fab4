from callkit.store.db import Database, connect, load_fts

SEED_TABLES = {"customers", "calls", "transcripts", "ai_suggestions", "orders", "tickets"}
FEATURE_TABLES = {"products", "customer_notes", "agent_actions", "flagged_moments",
                  "call_summaries", "invoices", "invoice_lines", "policies", "tool_calls"}


def tables(con) -> set[str]:
    return {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}


def test_schema_has_the_seed_tables_and_the_feature_tables():
    con = connect(":memory:")
    assert SEED_TABLES | FEATURE_TABLES <= tables(con)


def test_opening_twice_keeps_the_data(tmp_path):
    path = tmp_path / "a.duckdb"
    con = connect(path)
    con.execute("INSERT INTO customers (name, account_number) VALUES ('A B', '1')")
    con.close()
    con = connect(path)
    assert con.execute("SELECT count(*) FROM customers").fetchone()[0] == 1
    con.close()


def test_database_runs_work_on_its_own_thread(tmp_path):
    import threading

    with Database(tmp_path / "b.duckdb") as db:
        name = db.run_sync(lambda con: threading.current_thread().name)
        assert name.startswith("callkit-db")
    assert not any(t.name.startswith("callkit-db") for t in threading.enumerate())


def test_fts_extension_loads_from_the_installed_package():
    con = connect(":memory:")
    load_fts(con)
    loaded = con.execute(
        "SELECT loaded FROM duckdb_extensions() WHERE extension_name = 'fts'").fetchone()
    assert loaded == (True,)
