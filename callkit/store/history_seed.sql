-- The rows of the seeded past calls (history_seed.py), written set-wise from its tables:
-- seed_plan (one row per call), seed_scenarios, seed_lines, seed_fillers, seed_suggestions,
-- seed_tools, seed_actions, seed_flags. Statements are separated by ";" at a line's end.

-- The seed's dice: a number in [0, 1) that is the same for the same key on every run.
CREATE OR REPLACE TEMP MACRO seed_unit(key) AS (hash(key) % 1000003) / 1000003.0;
CREATE OR REPLACE TEMP MACRO seed_at(t0, seconds) AS
    t0 + to_microseconds(CAST(seconds * 1000000 AS BIGINT));
-- Latency of a turn, in seconds, with the long tail real ones have (p50 and p95 close to
-- what `callkit bench call` measures): speech end -> final, final -> first suggestion token,
-- first token -> painted on the agent's screen.
CREATE OR REPLACE TEMP MACRO seed_final_s(key) AS 0.75 - 0.2 * ln(1 - seed_unit(key || 'f'));
CREATE OR REPLACE TEMP MACRO seed_token_s(key) AS 0.002 - 0.004 * ln(1 - seed_unit(key || 't'));
CREATE OR REPLACE TEMP MACRO seed_shown_s(key) AS 0.04 - 0.03 * ln(1 - seed_unit(key || 'v'));
CREATE OR REPLACE TEMP MACRO seed_fill(t, p) AS
    replace(replace(replace(replace(replace(replace(replace(replace(replace(t,
        '"{customer_id}"', coalesce(CAST(p.customer_id AS VARCHAR), 'null')),
        '{name}', p.name), '{first}', p.first), '{agent}', p.agent),
        '{account}', p.account), '{order}', p.order_no), '{product}', p.product),
        '{carrier}', p.carrier), '{amount}', p.amount);

-- Every line of every call: the script's lines, with the small talk played at hold_at.
-- gpos is a line's place in its call; lines at or after p.keep were never said (dropped call).
CREATE OR REPLACE TEMP TABLE seed_call_lines AS
SELECT p.call_id, l.speaker, l.text AS template,
       l.turn + CASE WHEN l.after_hold THEN p.fillers ELSE 0 END AS turn,
       l.pos + CASE WHEN l.after_hold THEN 2 * p.fillers ELSE 0 END AS gpos,
       l.pos AS core_pos,
       p.pace * (l.start_s + CASE WHEN l.after_hold THEN p.hold_shift_s ELSE 0 END) AS start_s,
       p.pace * (l.end_s + CASE WHEN l.after_hold THEN p.hold_shift_s ELSE 0 END) AS end_s,
       CASE WHEN l.sentiment IS NOT NULL  -- greatest and least would skip a NULL
            THEN greatest(-1.0, least(1.0, l.sentiment + p.mood)) END AS sentiment
FROM seed_plan p JOIN seed_lines l USING (scenario)
UNION ALL
SELECT h.call_id, side.speaker, CASE side.speaker WHEN 'agent' THEN f.agent ELSE f.customer END,
       CASE side.speaker WHEN 'agent' THEN s.agent_turns_before ELSE s.customer_turns_before END
           + h.j + 1,
       s.hold_at + 2 * h.j + side.i, NULL,
       h.pace * (s.hold_s + h.j // n.fillers * f.cycle_s + f.offset_s
                 + CASE side.i WHEN 0 THEN 0 ELSE f.customer_at_s END),
       h.pace * (s.hold_s + h.j // n.fillers * f.cycle_s + f.offset_s
                 + CASE side.i WHEN 0 THEN f.agent_s ELSE f.customer_at_s + f.customer_s END),
       CASE side.speaker WHEN 'customer' THEN greatest(-1.0, least(1.0, f.sentiment + h.mood)) END
FROM (SELECT call_id, scenario, pace, mood, unnest(range(fillers)) AS j FROM seed_plan) h
JOIN seed_scenarios s USING (scenario)
CROSS JOIN (SELECT count(*) AS fillers FROM seed_fillers) n
JOIN seed_fillers f ON f.idx = h.j % n.fillers
CROSS JOIN (VALUES ('agent', 0), ('customer', 1)) side(speaker, i);

DELETE FROM seed_call_lines USING seed_plan p
WHERE seed_call_lines.call_id = p.call_id AND seed_call_lines.gpos >= p.keep;

-- In time order, so that a time range reads few of DuckDB's row groups.
INSERT INTO transcripts (call_id, speaker, turn, text, timestamp, start_s, end_s, confidence,
                         sentiment)
SELECT l.call_id, l.speaker, l.turn, seed_fill(l.template, p),
       seed_at(p.start_time, l.end_s + seed_final_s(l.call_id || l.speaker || l.turn)),
       round(l.start_s, 2), round(l.end_s, 2),
       round(0.8 + 0.18 * seed_unit(l.call_id || l.speaker || l.turn || 'c'), 3),
       round(l.sentiment, 3)
FROM seed_call_lines l JOIN seed_plan p USING (call_id)
ORDER BY p.start_time, l.call_id, l.gpos;

INSERT INTO calls (call_id, customer_id, agent_name, title, start_time, end_time,
                   duration_seconds, status, caller_number, end_reason)
SELECT p.call_id, p.customer_id, p.agent, seed_fill(s.title, p), p.start_time,
       seed_at(p.start_time, d.seconds), round(d.seconds, 1), p.status, p.caller_number,
       p.end_reason
FROM seed_plan p JOIN seed_scenarios s USING (scenario)
JOIN (SELECT call_id, max(end_s) + 2.0 AS seconds FROM seed_call_lines GROUP BY call_id) d
    USING (call_id)
ORDER BY p.start_time;

-- Suggestions, each after the line that raised it; the nth on the same line comes later.
CREATE OR REPLACE TEMP TABLE seed_shown AS
SELECT p.call_id, p.call_id || '-s' || g.k AS id, g.kind, g.priority, g.topic,
       seed_fill(g.message, p) AS message, l.speaker AS leg, l.turn,
       l.end_s + seed_final_s(l.call_id || l.speaker || l.turn)
           + seed_token_s(l.call_id || l.speaker || l.turn)
           + 0.5 * (row_number() OVER (PARTITION BY p.call_id, g.after ORDER BY g.k) - 1)
           AS first_token_s,
       100 * seed_unit(p.call_id || '-s' || g.k) AS dice, g.used_pct, g.dismissed_pct,
       p.start_time
FROM seed_plan p JOIN seed_suggestions g USING (scenario)
JOIN seed_call_lines l ON l.call_id = p.call_id AND l.core_pos = g.after;

INSERT INTO ai_suggestions (id, call_id, suggestion_type, priority, topic, message, used,
                            feedback, timestamp, sources)
SELECT id, call_id, kind, priority, topic, message, coalesce(feedback = 'used', false), feedback,
       seed_at(start_time, first_token_s + 0.02 * length(message) / 6), '[]'
FROM (SELECT *, CASE WHEN dice < used_pct THEN 'used'
                     WHEN dice < used_pct + dismissed_pct THEN 'dismissed' END AS feedback
      FROM seed_shown)
ORDER BY start_time, id;

-- Use / Dismiss is in the agent's log too, as the recorder writes it.
INSERT INTO agent_actions (call_id, action, payload, timestamp)
SELECT call_id, 'suggestion_' || feedback, json_object('suggestion_id', id),
       timestamp + to_microseconds(CAST(2000000 + 6000000 * seed_unit(id || 'u') AS BIGINT))
FROM ai_suggestions
WHERE starts_with(call_id, 'hist-') AND feedback IS NOT NULL;

INSERT INTO turn_latency (call_id, leg, turn, speech_start, speech_end, first_partial, final,
                          first_token, suggestion_done, shown)
SELECT l.call_id, l.speaker, l.turn, seed_at(p.start_time, l.start_s),
       seed_at(p.start_time, l.end_s),
       CASE WHEN l.end_s - l.start_s > 1.4 THEN seed_at(p.start_time, l.start_s + 1.3) END,
       seed_at(p.start_time, l.end_s + seed_final_s(l.call_id || l.speaker || l.turn)),
       seed_at(p.start_time, s.first_token_s),
       seed_at(p.start_time, s.first_token_s + 0.3),
       seed_at(p.start_time, s.first_token_s + seed_shown_s(l.call_id || l.speaker || l.turn))
FROM seed_call_lines l JOIN seed_plan p USING (call_id)
LEFT JOIN (SELECT call_id, leg, turn, min(first_token_s) AS first_token_s FROM seed_shown
           GROUP BY ALL) s
    ON s.call_id = l.call_id AND s.leg = l.speaker AND s.turn = l.turn
ORDER BY p.start_time, l.call_id, l.gpos;

-- Tools start while the caller is still speaking (the assistant reads partials).
INSERT INTO tool_calls (call_id, name, arguments, result, duration_s, timestamp)
SELECT p.call_id, t.name, seed_fill(t.arguments, p),
       CASE WHEN 100 * seed_unit(p.call_id || '-t' || t.k) < t.miss_pct
            THEN seed_fill(t.miss_result, p) ELSE seed_fill(t.result, p) END,
       round(0.001 + 0.012 * seed_unit(p.call_id || '-d' || t.k), 4),
       seed_at(p.start_time, l.end_s - 0.3 + 0.2 * t.k)
FROM seed_plan p JOIN seed_tools t USING (scenario)
JOIN seed_call_lines l ON l.call_id = p.call_id AND l.core_pos = t.after
ORDER BY p.start_time, p.call_id, t.k;

INSERT INTO agent_actions (call_id, action, payload, timestamp)
SELECT p.call_id, a.action,
       json_object('customer_id', p.customer_id, 'at_s', round(l.end_s + 4.0, 2)),
       seed_at(p.start_time, l.end_s + 4.0)
FROM seed_plan p JOIN seed_actions a USING (scenario)
JOIN seed_call_lines l ON l.call_id = p.call_id AND l.core_pos = a.after
WHERE 100 * seed_unit(p.call_id || '-a' || a.k) < a.pct;

INSERT INTO flagged_moments (call_id, at_s, note, timestamp)
SELECT p.call_id, round(l.start_s, 2), f.note, seed_at(p.start_time, l.end_s + 1.0)
FROM seed_plan p JOIN seed_flags f USING (scenario)
JOIN seed_call_lines l ON l.call_id = p.call_id AND l.core_pos = f.after
WHERE 100 * seed_unit(p.call_id || '-f' || f.k) < f.pct;

-- The summary; {sentiment} is filled in once the customer's lines are (history_seed.py).
INSERT INTO call_summaries (call_id, reason, resolution, action_items, sentiment, text, topics,
                            open_questions, written_by, created_at)
SELECT p.call_id, r.reason, r.resolution, '[]', '{sentiment}',
       r.who || '. ' || r.reason || '. Resolution: ' || r.resolution
           || '. Customer sentiment: {sentiment}.',
       s.intents, '[]', 'seed', c.end_time
FROM seed_plan p JOIN seed_scenarios s USING (scenario) JOIN calls c USING (call_id)
CROSS JOIN LATERAL (SELECT
    CASE WHEN s.anonymous THEN 'An unidentified caller'
         ELSE p.name || ' (account #' || p.account || ')' END AS who,
    seed_fill(s.reason, p) AS reason,
    CASE WHEN p.status = 'completed' THEN seed_fill(s.resolution, p)
         ELSE 'No resolution recorded' END AS resolution) r;
