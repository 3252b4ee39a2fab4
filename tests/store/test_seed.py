import datetime as dt

from callkit.store.db import connect
from callkit.store.seed import SARAH_ORDER, seed
from tests.conftest import SEED_DAY


def count(con, table):
    return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_seed_is_of_realistic_size(fixed_con):
    assert count(fixed_con, "customers") >= 500
    assert count(fixed_con, "orders") >= 2000
    assert count(fixed_con, "tickets") >= 800
    assert count(fixed_con, "products") >= 10
    assert count(fixed_con, "policies") >= 5


def test_seed_is_deterministic():
    a, b = connect(":memory:"), connect(":memory:")
    seed(a, today=SEED_DAY)
    seed(b, today=SEED_DAY)
    q = "SELECT name, email, account_number, tier FROM customers ORDER BY id"
    assert a.execute(q).fetchall() == b.execute(q).fetchall()
    q = "SELECT order_number, product_id, status, order_date FROM orders ORDER BY order_number"
    assert a.execute(q).fetchall() == b.execute(q).fetchall()


def test_reseeding_replaces_rather_than_duplicates():
    con = connect(":memory:")
    seed(con, today=SEED_DAY)
    seed(con, today=SEED_DAY)
    assert count(con, "customers") == 600
    assert con.execute("SELECT count(*) FROM customers WHERE name = 'Sarah Johnson'").fetchone()[0] == 1


def test_sarah_johnsons_order_shipped_yesterday_via_fedex(fixed_con):
    row = fixed_con.execute(
        "SELECT c.name, o.status, o.carrier, o.shipped_at::DATE, o.eta FROM orders o "
        "JOIN customers c ON c.id = o.customer_id WHERE o.order_number = ?", [SARAH_ORDER]
    ).fetchone()
    assert row == ("Sarah Johnson", "shipped", "FedEx", SEED_DAY - dt.timedelta(days=1),
                   SEED_DAY + dt.timedelta(days=2))


def test_john_doe_is_gold_and_billed_premium_plus_overage(fixed_con):
    tier, = fixed_con.execute(
        "SELECT tier FROM customers WHERE account_number = '12345' AND name = 'John Doe'").fetchone()
    assert tier == "gold"
    total, lines = fixed_con.execute(
        "SELECT i.total, list(l.description || '=' || l.amount ORDER BY l.amount DESC) "
        "FROM invoices i JOIN customers c ON c.id = i.customer_id "
        "JOIN invoice_lines l ON l.invoice_id = i.id WHERE c.name = 'John Doe' "
        "GROUP BY i.id, i.total, i.billed_on ORDER BY i.billed_on DESC LIMIT 1").fetchone()
    assert float(total) == 129.99
    assert lines == ["Premium plan=99.00", "data overage=30.99"]


def test_personas_are_unique_and_numbers_do_not_collide(fixed_con):
    names = fixed_con.execute(
        "SELECT name, count(*) FROM customers WHERE name IN ('Sarah Johnson', 'John Doe') "
        "GROUP BY name").fetchall()
    assert sorted(names) == [("John Doe", 1), ("Sarah Johnson", 1)]
    clash = fixed_con.execute(
        "SELECT count(*) FROM orders o JOIN customers c ON o.order_number = c.account_number"
    ).fetchone()[0]
    assert clash == 0


def test_policies_are_searchable_with_bm25(fixed_con):
    top = fixed_con.execute(
        "SELECT id FROM (SELECT id, fts_main_policies.match_bm25(id, 'prepaid return label') "
        "AS s FROM policies) WHERE s IS NOT NULL ORDER BY s DESC LIMIT 1").fetchone()
    assert top == ("POL-RET",)


def test_every_product_points_at_its_return_terms_in_the_knowledge_base(fixed_con):
    orphans = fixed_con.execute("SELECT p.id FROM products p LEFT JOIN policies k "
                                "ON k.id = p.return_policy WHERE k.id IS NULL").fetchall()
    assert orphans == []


def test_a_database_seeded_before_the_knowledge_base_is_upgraded_on_open(tmp_path):
    path = tmp_path / "old.duckdb"
    con = connect(path)
    seed(con, today=SEED_DAY)
    # What an older kit left: policy text in products, a few policies, one edited by hand.
    con.execute("UPDATE products SET return_policy = 'Returns within 30 days.'")
    con.execute("DELETE FROM policies WHERE id NOT IN ('POL-RET', 'POL-SHIP')")
    con.execute("UPDATE policies SET body = 'Edited by the team.', kind = NULL, topic = NULL "
                "WHERE id = 'POL-SHIP'")
    con.close()
    con = connect(path)
    try:
        orphans = con.execute("SELECT count(*) FROM products WHERE return_policy NOT IN "
                              "(SELECT id FROM policies)").fetchone()[0]
        ship = con.execute("SELECT body, topic FROM policies WHERE id = 'POL-SHIP'").fetchone()
        terms = con.execute("SELECT return_policy FROM products WHERE id = 'P-1001'").fetchone()
    finally:
        con.close()
    assert orphans == 0 and terms == ("RET-ELECTRONICS",)
    assert ship == ("Edited by the team.", "shipping")  # kept, and given its topic
