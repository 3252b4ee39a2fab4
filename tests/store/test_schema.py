from callkit.store.db import Database, connect, load_fts

SEED_TABLES = {"customers", "calls", "transcripts", "ai_suggestions", "orders", "tickets"}
FEATURE_TABLES = {"products", "customer_notes", "agent_actions", "flagged_moments",
                  "call_summaries", "invoices", "invoice_lines", "policies", "tool_calls"}
QUICK_ACTION_TABLES = {"credits", "fee_reversals", "escalations", "callbacks"}


def tables(con) -> set[str]:
    return {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}


def test_schema_has_the_seed_tables_and_the_feature_tables():
    con = connect(":memory:")
    assert SEED_TABLES | FEATURE_TABLES | QUICK_ACTION_TABLES <= tables(con)


def test_opening_twice_keeps_the_data(tmp_path):
    path = tmp_path / "a.duckdb"
    con = connect(path)
    con.execute("INSERT INTO customers (name, account_number) VALUES ('A B', '1')")
    con.close()
    con = connect(path)
    assert con.execute("SELECT count(*) FROM customers").fetchone()[0] == 1
    con.close()


def test_a_file_from_before_the_quick_action_tables_gets_them_when_opened(tmp_path):
    path = tmp_path / "old.duckdb"
    con = connect(path)
    for table in QUICK_ACTION_TABLES:  # as a file written before these tables existed
        con.execute(f"DROP TABLE {table}")
        con.execute(f"DROP SEQUENCE {table}_id_seq")
    con.execute("INSERT INTO customers (name, account_number) VALUES ('A B', '1')")
    con.close()
    con = connect(path)
    assert QUICK_ACTION_TABLES <= tables(con)
    assert con.execute("SELECT count(*) FROM customers").fetchone()[0] == 1
    con.execute("INSERT INTO callbacks (call_id, due_at, created_at) "
                "VALUES ('c', now(), now())")
    assert con.execute("SELECT id, status FROM callbacks").fetchall() == [(1, "scheduled")]
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
