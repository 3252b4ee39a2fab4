// callkit CallHistory / CallReplay: past calls filtered and searched, and one call's timeline
// played back. DuckDB stays in the kernel: each request carries an id and the kernel answers
// with the same id (choices, find, open, export); no SQL here.

const esc = (s) => String(s ?? "").replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));
const clock = (t) => { const s = Math.max(0, Math.floor(t || 0)); return `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`; };
const ACTIONS = { discount_10: "Applied a 10% discount", waive_fee: "Waived a fee", escalate: "Escalated to a supervisor",
  callback: "Scheduled a callback", template: "Inserted a quick response" };

// Everything that happened in a call, as one list in call time.
function events(tl) {
  const out = [];
  for (const l of tl.transcript) out.push({ at: l.at_s, cls: `ck-line ck-${l.speaker}`, who: l.speaker, html: esc(l.text) });
  for (const s of tl.suggestions) out.push({ at: s.at_s, cls: `ck-card ck-${s.kind}`, who: `${s.kind} · ${s.topic}`,
    html: `${esc(s.message)} <em class="ck-fb" data-fb="${esc(s.feedback || "ignored")}">${esc(s.feedback || "no button pressed")}</em>` });
  for (const t of tl.tool_calls) out.push({ at: t.at_s, cls: "ck-tool", who: `tool ${t.name}`,
    html: `<code>${esc(JSON.stringify(t.arguments))}</code> → <code>${esc(JSON.stringify(t.result).slice(0, 160))}</code>` });
  for (const a of tl.actions) out.push({ at: a.at_s, cls: "ck-action", who: "agent action", html: esc(ACTIONS[a.action] || a.action) + (a.payload?.text ? `: ${esc(a.payload.text)}` : "") });
  for (const f of tl.flags) out.push({ at: f.at_s, cls: "ck-flagged", who: "flag", html: esc(f.note || "flagged") });
  return out.sort((a, b) => a.at - b.at);
}

function sparkline(tl, end) {  // the customer's sentiment, -1..1, across the call
  const pts = tl.transcript.filter((l) => l.speaker === "customer" && l.sentiment != null);
  if (!pts.length) return "";
  const xy = pts.map((l) => `${(600 * l.at_s / Math.max(end, 1)).toFixed(1)},${(30 - 28 * l.sentiment).toFixed(1)}`);
  return `<svg viewBox="0 0 600 60" preserveAspectRatio="none" class="ck-spark"><line x1="0" x2="600" y1="30" y2="30"/><polyline points="${xy.join(" ")}"/></svg>`;
}

function render({ model, el }) {
  const replayOnly = model.get("mode") === "replay";
  el.classList.add("callkit-history");
  el.innerHTML = `
    <form class="ck-filters" ${replayOnly ? "hidden" : ""}>
      <input name="text" type="search" placeholder="words said (full-text search)">
      <input name="customer" placeholder="customer, account or phone"><input name="agent" placeholder="agent">
      <select name="status"><option value="">any status</option></select>
      <select name="sentiment"><option value="">any sentiment</option></select>
      <select name="topic"><option value="">any topic</option></select>
      <label>from <input name="since" type="date"></label><label>to <input name="until" type="date"></label>
      <button type="submit">Search</button><span class="ck-count"></span><span class="ck-error"></span>
    </form>
    <div class="ck-body">
      <section class="ck-results" ${replayOnly ? "hidden" : ""}><table><thead><tr><th>started</th><th>customer</th>
        <th>agent</th><th>min</th><th>status</th><th>sentiment</th><th>call</th></tr></thead><tbody></tbody></table></section>
      <section class="ck-replay" hidden></section>
    </div>`;
  const $ = (sel) => el.querySelector(sel);
  const form = $(".ck-filters");
  const pending = new Map();
  let nextId = 1, timeline = null, t = 0, playing = false, last = null, frame = null;

  function ask(kind, fields = {}) {
    const id = nextId++;
    model.send({ kind, id, ...fields });
    return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
  }
  const onMsg = (msg) => {
    const waiting = pending.get(msg.id);
    if (!waiting) return;
    pending.delete(msg.id);
    if (msg.kind === "error") { $(".ck-error").textContent = msg.message; waiting.reject(new Error(msg.message)); }
    else { $(".ck-error").textContent = ""; waiting.resolve(msg); }
  };
  model.on("msg:custom", onMsg);

  async function find() {
    const filters = Object.fromEntries(new FormData(form).entries());
    const { rows } = await ask("find", { filters });
    $(".ck-count").textContent = `${rows.length} call${rows.length === 1 ? "" : "s"}`;
    $(".ck-results tbody").innerHTML = rows.map((r) => `<tr data-call="${esc(r.call_id)}">
      <td>${esc((r.started || "").replace("T", " ").slice(0, 16))}</td><td>${esc(r.customer || "—")}</td><td>${esc(r.agent)}</td>
      <td>${r.minutes ?? ""}</td><td>${esc(r.status)}</td><td data-sentiment="${esc(r.sentiment)}">${esc(r.sentiment || "")}</td>
      <td>${esc(r.title)}${r.line ? `<div class="ck-hit">${clock(r.line_at_s)} ${esc(r.line_speaker)}: “${esc(r.line)}”</div>` : ""}</td></tr>`).join("");
    el.dataset.found = String(rows.length);
  }

  async function open(callId) {
    ({ timeline } = await ask("open", { call_id: callId }));
    const c = timeline.call, end = Math.max(c.duration_seconds || 0, ...events(timeline).map((e) => e.at));
    const box = $(".ck-replay");
    box.hidden = false;
    box.innerHTML = `<header><b>${esc(c.title || c.call_id)}</b>
        <span>${esc((c.started || "").replace("T", " ").slice(0, 16))} · ${esc(c.agent)} · ${esc(c.status)} · ${esc(c.sentiment || "")}
        · ${esc(timeline.customer ? timeline.customer.name : "caller not identified")}</span>
        <span class="ck-export"><label><input type="checkbox" class="ck-redact" checked> redact personal data</label>
        <button data-format="json">Export JSON</button><button data-format="markdown">Export Markdown</button></span></header>
      <div class="ck-controls"><button class="ck-play">▶ Replay</button>
        <select class="ck-speed"><option>1</option><option>4</option><option selected>16</option><option>64</option></select>×
        <input class="ck-scrub" type="range" min="0" max="${end}" step="any" value="${end}"><span class="ck-time"></span></div>
      ${sparkline(timeline, end)}
      <ol class="ck-feed">${events(timeline).map((e) => `<li class="${e.cls}" data-at="${e.at}"><span class="ck-at">${clock(e.at)}</span>
        <span class="ck-who">${esc(e.who)}</span><span class="ck-what">${e.html}</span></li>`).join("")}</ol>
      ${timeline.summary ? `<div class="ck-summary"><b>Summary</b> ${esc(timeline.summary.text)}</div>` : ""}`;
    el.dataset.open = c.call_id;
    seek(end);
  }

  function seek(to) {  // show what had happened by call time `to`
    t = to;
    const box = $(".ck-replay");
    box.querySelector(".ck-scrub").value = String(t);
    box.querySelector(".ck-time").textContent = `${clock(t)} / ${clock(Number(box.querySelector(".ck-scrub").max))}`;
    box.querySelectorAll(".ck-feed li").forEach((li) => { li.hidden = Number(li.dataset.at) > t; });
    const summary = box.querySelector(".ck-summary");
    if (summary) summary.hidden = t < Number(box.querySelector(".ck-scrub").max);
  }
  function tick(now) {
    const box = $(".ck-replay"), max = Number(box.querySelector(".ck-scrub").max);
    if (last != null) seek(Math.min(max, t + (now - last) / 1000 * Number(box.querySelector(".ck-speed").value)));
    last = now;
    if (t >= max) stop(); else frame = requestAnimationFrame(tick);
  }
  function stop() { playing = false; last = null; if (frame) cancelAnimationFrame(frame); frame = null;
    const b = $(".ck-play"); if (b) b.textContent = "▶ Replay"; }

  async function download(format) {
    const redacted = $(".ck-redact").checked;
    const { text, filename } = await ask("export", { call_id: timeline.call.call_id, format, redacted });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([text], { type: format === "json" ? "application/json" : "text/markdown" }));
    a.download = filename; a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  }

  form.addEventListener("submit", (ev) => { ev.preventDefault(); find().catch(() => {}); });
  el.addEventListener("click", (ev) => {
    const row = ev.target.closest("tr[data-call]");
    if (row) { stop(); open(row.dataset.call).catch(() => {}); return; }
    const b = ev.target.closest("button");
    if (!b) return;
    if (b.dataset.format) download(b.dataset.format).catch(() => {});
    else if (b.classList.contains("ck-play")) {
      if (playing) { stop(); return; }
      const max = Number($(".ck-scrub").max);
      if (t >= max) seek(0);
      playing = true; b.textContent = "❚❚ Pause"; frame = requestAnimationFrame(tick);
    }
  });
  el.addEventListener("input", (ev) => { if (ev.target.classList.contains("ck-scrub")) { stop(); seek(Number(ev.target.value)); } });

  if (replayOnly) open(model.get("call_id")).catch(() => {});
  else {
    ask("choices").then((c) => {
      for (const [name, values] of [["status", c.statuses], ["sentiment", c.sentiments], ["topic", c.topics]])
        form.elements[name].insertAdjacentHTML("beforeend", values.map((v) => `<option>${esc(v)}</option>`).join(""));
    }).catch(() => {});
    find().then(() => { if (model.get("call_id")) return open(model.get("call_id")); }).catch(() => {});
  }
  return () => { stop(); model.off("msg:custom", onMsg); pending.clear(); };
}

export default { render };
