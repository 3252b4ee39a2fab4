"""Full-text search of what was said in calls: DuckDB's FTS index (BM25 over Porter stems)
with one document per call, so that a search finds calls.

An FTS index does not follow inserts, and building it reads every line (about 25 s for five
million on two cores). So the index remembers the last line it read. Lines recorded since (the
calls of today) are matched word for word and their calls listed first, newest first; the
index is rebuilt, by the next search, once they are more than ``STALE_LINES`` or
``STALE_SHARE`` of all lines, whichever is larger.
"""

from __future__ import annotations

import re

import duckdb

from .db import load_fts

STALE_LINES = 2_000
STALE_SHARE = 0.02
INDEX = "fts_main_call_words"  # the schema DuckDB names after the indexed table
# Letters and digits are words (order and account numbers are searched for); the rest splits.
WORD = re.compile(r"[a-z0-9]+")


def build_transcript_index(con: duckdb.DuckDBPyConnection) -> int:
    """(Re)build the index from every line so far; returns the last line it holds."""
    load_fts(con)
    last = con.execute("SELECT coalesce(max(id), 0) FROM transcripts").fetchone()[0]
    con.execute("DELETE FROM call_words")
    con.execute("INSERT INTO call_words SELECT call_id, string_agg(text, ' ' ORDER BY id) "
                "FROM transcripts WHERE id <= $1 GROUP BY call_id", [last])
    con.execute("PRAGMA create_fts_index('call_words', 'call_id', 'text', "
                "ignore='(\\.|[^a-z0-9])+', overwrite=1)")
    con.execute("DELETE FROM call_words")  # the index has its own copy of the words
    con.execute("DELETE FROM call_words_index")
    con.execute("INSERT INTO call_words_index VALUES ($1)", [last])
    return last


def fresh_index(con: duckdb.DuckDBPyConnection) -> int:
    """The last line the index holds, once it exists and is not too far behind."""
    load_fts(con)  # per connection; cheap once loaded
    indexed = con.execute("SELECT max(last_id) FROM call_words_index").fetchone()[0]
    built = con.execute("SELECT count(*) FROM duckdb_schemas() WHERE schema_name = $1",
                        [INDEX]).fetchone()[0]
    if indexed is None or not built:
        return build_transcript_index(con)
    newer = con.execute("SELECT count(*) FROM transcripts WHERE id > $1",
                        [indexed]).fetchone()[0]
    if newer > max(STALE_LINES, STALE_SHARE * indexed):
        return build_transcript_index(con)
    return indexed


def search_words(query: str) -> list[str]:
    return WORD.findall(query.lower())


def matching_calls(con: duckdb.DuckDBPyConnection, query: str,
                   limit: int = 50) -> list[tuple[str, float | None]]:
    """Calls in which ``query``'s words were said, as (call_id, score), best first. Calls with
    lines newer than the index come first, newest first, with no score: every word of the
    query was said in them."""
    indexed = fresh_index(con)
    words = search_words(query)
    if not words:
        return []
    recent = con.execute(
        "SELECT call_id FROM (SELECT call_id, lower(string_agg(text, ' ')) AS said, "
        "                            max(id) AS latest "
        "                     FROM transcripts WHERE id > $1 GROUP BY call_id) "
        "WHERE list_bool_and([contains(said, w) for w in $2]) "
        "ORDER BY latest DESC LIMIT $3", [indexed, words, limit]).fetchall()
    ranked = con.execute(
        f"SELECT name, score FROM (SELECT name, {INDEX}.match_bm25(name, $1) AS score "
        f"                         FROM {INDEX}.docs) "
        "WHERE score IS NOT NULL ORDER BY score DESC, name LIMIT $2", [query, limit]).fetchall()
    seen = {call_id for call_id, in recent}
    hits = [(call_id, None) for call_id, in recent]
    hits += [(call_id, round(score, 3)) for call_id, score in ranked if call_id not in seen]
    return hits[:limit]
