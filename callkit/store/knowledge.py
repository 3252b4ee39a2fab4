"""The knowledge base: policies, FAQs and return terms in the ``policies`` table, searched
with DuckDB's full-text search (BM25).

The rows ship in knowledge.json and are seeded with the demo data; anyone may edit them in the
database. An FTS index does not follow edits by itself, so every search first compares a
fingerprint of the rows with the one the index was built from and rebuilds a stale index:
a row added in a notebook is found on the next call.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import duckdb

from .db import load_fts, transaction

_FINGERPRINT = ("SELECT coalesce(md5(string_agg(id || '|' || title || '|' || body, '|' "
                "ORDER BY id)), '') FROM policies")


def knowledge_rows() -> list[dict[str, Any]]:
    """The knowledge base as shipped. The wording lives in knowledge.json, not in code."""
    text = resources.files(__package__).joinpath("knowledge.json").read_text()
    return json.loads(text)["rows"]


def upgrade(con: duckdb.DuckDBPyConnection) -> None:
    """A database seeded before the knowledge base shipped kept policy text in its products
    (``return_policy``) and a handful of policies: give it the shipped rows it lacks (an
    edited row is kept) and point each product at its category's return terms. Runs once:
    afterwards every product points at a row."""
    stale = con.execute("SELECT count(*) FROM products WHERE return_policy NOT IN "
                        "(SELECT id FROM policies)").fetchone()[0]
    if not stale:
        return
    rows = knowledge_rows()
    with transaction(con):  # all of the upgrade or none: a half-upgraded base is not retried
        _upgrade(con, rows)


def _upgrade(con: duckdb.DuckDBPyConnection, rows: list[dict]) -> None:
    con.execute(
        "INSERT INTO policies (id, title, body, kind, topic, category) "
        "SELECT * FROM (SELECT unnest($1) AS id, unnest($2), unnest($3), unnest($4), "
        "unnest($5), unnest($6)) WHERE id NOT IN (SELECT id FROM policies)",
        [[r[k] if k in r else None for r in rows] for k in
         ("id", "title", "body", "kind", "topic", "category")])
    for row in rows:  # the kit's own policies of an old seed get their topic and kind
        con.execute("UPDATE policies SET kind = coalesce(kind, $2), topic = coalesce(topic, $3) "
                    "WHERE id = $1", [row["id"], row["kind"], row["topic"]])
    con.execute("UPDATE products SET return_policy = k.id FROM policies k "
                "WHERE k.category = products.category "
                "AND products.return_policy NOT IN (SELECT id FROM policies)")


def build_index(con: duckdb.DuckDBPyConnection) -> None:
    load_fts(con)
    con.execute("PRAGMA create_fts_index('policies', 'id', 'title', 'body', overwrite=1)")
    con.execute("CREATE TABLE IF NOT EXISTS policies_index (fingerprint VARCHAR)")
    con.execute("DELETE FROM policies_index")
    con.execute(f"INSERT INTO policies_index {_FINGERPRINT}")


def _fresh_index(con: duckdb.DuckDBPyConnection) -> None:
    load_fts(con)  # per connection; cheap once loaded
    try:
        built = con.execute("SELECT fingerprint FROM policies_index").fetchone()
    except duckdb.CatalogException:
        built = None
    if built is None or built[0] != con.execute(_FINGERPRINT).fetchone()[0]:
        build_index(con)


# Words that carry no subject: BM25 on a tiny corpus ranks a row high for sharing one of
# them, so ``matched`` does not count them.
STOPWORDS = sorted(set("""a about after again all am an and any are as at be because been before
being but by can could did do does doing don't for from get got had has have how i i'm if in into
is it it's its just like me my no not now of okay on or our out please so some than that the
their them then there these they this to too uh um up us very was we were what when where which
who why will with would yeah yes you your long take takes much wondering guys great""".split()))


def search(con: duckdb.DuckDBPyConnection, query: str, limit: int = 3) -> list[dict[str, Any]]:
    """Rows ranked by BM25 against ``query``, best first, each with its ``score`` and
    ``matched``: how many distinct words (stemmed, stopwords aside) it shares with the
    query, so a caller can tell a real answer from a row that shares one common word."""
    _fresh_index(con)
    words = ("(SELECT DISTINCT stem(lower(w), 'porter') AS s "
             "FROM unnest(string_split_regex({}, '[^A-Za-z0-9$%]+')) t(w) "
             "WHERE length(w) > 1 AND NOT list_contains($3, lower(w)))")
    asked, row = words.format("$1"), words.format("title || ' ' || body")
    cur = con.execute(
        "SELECT id, title, body, kind, topic, score, "
        f"  (SELECT count(*) FROM {asked} q WHERE q.s IN {row}) AS matched "
        "FROM (SELECT *, fts_main_policies.match_bm25(id, $1) AS score FROM policies) "
        "WHERE score IS NOT NULL ORDER BY score DESC, id LIMIT $2", [query, limit, STOPWORDS])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]
