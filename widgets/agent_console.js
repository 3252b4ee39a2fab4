// callkit AgentConsole: the agent's view of one call, built from the call's journal.
// The kernel sends numbered events; a view that (re)builds itself asks for a snapshot and
// replaces what it shows, so nothing is lost or doubled. Updates are applied once per frame.

const HISTORY = 120;           // level readings per waveform (6 s at 20 Hz)
const SILENT_RMS = 0.01;       // below this a leg counts as quiet
const SILENT_AFTER_S = 2;      // quiet this long lights the silence indicator
const ICONS = { alert: "⚠", suggestion: "✦", info: "ℹ" };  // text symbols: no emoji font needed
const PRIORITY = { high: "urgent", normal: "tip", low: "info" };

const esc = (s) => String(s ?? "").replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));
const clock = (t) => { const s = Math.max(0, Math.floor(t)); return `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`; };
// Rebuild an element only when what it shows changed (see drawLines: the view draws every frame).
const setHtml = (box, html) => { if (box.ckHtml !== html) { box.innerHTML = html; box.ckHtml = html; } };
const money = (v) => (v == null ? "—" : `$${Number(v).toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`);

function emptyState() {
  return { lastId: 0, lastLevel: {}, started: null, ended: null, status: "waiting", legs: {},
    levels: {}, quietSince: {}, lines: new Map(), cards: new Map(), context: null,
    summary: null, flagged: new Set(), actions: [] };
}

function apply(state, e) {
  switch (e.type) {
    case "CallStarted": state.started = e.wall; state.status = "active"; break;
    case "CallEnded": state.ended = e.wall; state.duration = e.duration_s; state.status = e.status; break;
    case "LegConnected": state.legs[e.leg] = "connected"; break;
    case "LegDropped": state.legs[e.leg] = "dropped"; break;
    case "LegMuted": state.legs[e.leg] = e.muted ? "muted" : "connected"; break;
    case "LegEnded": state.legs[e.leg] = "ended"; break;
    case "TranscriptPartial":
    case "TranscriptFinal":
      state.lines.set(`${e.leg}:${e.turn}`, { leg: e.leg, turn: e.turn, text: e.text, start: e.start,
        final: e.type === "TranscriptFinal" });
      break;
    case "SuggestionStarted":
      state.cards.set(e.suggestion_id, { id: e.suggestion_id, kind: e.kind, priority: e.priority,
        topic: e.topic, text: "", done: false, feedback: null, wall: e.wall, sources: e.sources || [] });
      break;
    case "SuggestionToken": { const c = state.cards.get(e.suggestion_id); if (c) c.text += e.text; break; }
    case "SuggestionDone": {
      const c = state.cards.get(e.suggestion_id);
      if (c) { c.text = e.message; c.done = true; c.sources = e.sources || c.sources; }
      break;
    }
    case "SuggestionFeedback": { const c = state.cards.get(e.suggestion_id); if (c) c.feedback = e.action; break; }
    case "CustomerContext": state.context = e; break;
    case "CallSummary": state.summary = e; break;
    case "MomentFlagged": state.flagged.add(Number(e.at_s).toFixed(2)); break;
    case "AgentAction": state.actions.push(e); break;
  }
}

function render({ model, el }) {
  const parts = new Set(model.get("parts"));
  el.classList.add("callkit-console");
  el.innerHTML = `
    <section class="ck-bar" data-part="bar">
      <span class="ck-rec" title="recording"></span><b class="ck-title"></b>
      <span class="ck-status"></span><span class="ck-timer">00:00</span>
      <span class="ck-legs"></span>
      <button class="ck-mute">Mute agent</button><button class="ck-end">End call</button>
      <span class="ck-error"></span>
    </section>
    <div class="ck-main">
      <section class="ck-transcript" data-part="transcript">
        <header><b>Live transcript</b><input class="ck-search" placeholder="search…" type="search"></header>
        <div class="ck-lines"></div><button class="ck-live" hidden>↓ jump to live</button>
      </section>
      <div class="ck-side">
        <section class="ck-customer" data-part="customer"><header><b>Customer</b></header><div class="ck-profile">Not identified yet.</div></section>
        <section class="ck-cards" data-part="suggestions"><header><b>AI suggestions</b></header><div class="ck-list"></div></section>
        <section class="ck-actions" data-part="actions"><header><b>Quick actions</b></header><div class="ck-buttons"></div>
          <div class="ck-templates"></div><textarea class="ck-notes" rows="2" placeholder="quick responses land here"></textarea></section>
      </div>
    </div>
    <section class="ck-summary" data-part="summary" hidden></section>`;
  const $ = (sel) => el.querySelector(sel);
  el.querySelectorAll("[data-part]").forEach((node) => { if (!parts.has(node.dataset.part)) node.remove(); });
  if (!parts.has("transcript") && !parts.has("customer") && !parts.has("suggestions") && !parts.has("actions")) $(".ck-main")?.remove();
  if ($(".ck-title")) $(".ck-title").textContent = model.get("title") || `call ${model.get("call_id").slice(0, 8)}`;

  let state = emptyState();
  let queue = [], frame = null, follow = true;
  const canvases = {};

  const schedule = () => { if (!frame) frame = requestAnimationFrame(flush); };
  function flush() {
    frame = null;
    const painted = [];
    for (const msg of queue) {
      if (msg.kind === "snapshot") state = emptyState();
      for (const e of msg.events) if (msg.kind === "snapshot" || e.id > state.lastId) { apply(state, e); state.lastId = Math.max(state.lastId, e.id); }
      // A card whose first words arrive live is reported once, as painted in this frame (the
      // turn's "shown" latency mark); cards rebuilt from a snapshot were shown long ago.
      for (const c of state.cards.values()) if (c.text && !c.reported) { c.reported = true; if (msg.kind === "events") painted.push(c.id); }
    }
    queue = [];
    draw();
    if (painted.length && parts.has("suggestions")) model.send({ kind: "shown", ids: painted });
  }

  function draw() {
    drawBar(); drawLines(); drawCards(); drawCustomer(); drawSummary();
  }

  function drawBar() {
    if (!$(".ck-bar")) return;
    $(".ck-status").textContent = state.status; $(".ck-status").dataset.status = state.status;
    $(".ck-rec").classList.toggle("on", state.status === "active");
    $(".ck-end").disabled = state.status !== "active";
    $(".ck-mute").disabled = state.status !== "active" || !["connected", "muted"].includes(state.legs.agent);
    $(".ck-mute").textContent = state.legs.agent === "muted" ? "Unmute agent" : "Mute agent";
    tick();
    const legs = $(".ck-legs");
    for (const leg of Object.keys(state.legs)) {
      if (!canvases[leg]) {
        const box = document.createElement("span");
        box.className = "ck-leg";
        box.innerHTML = `<i></i> <span class="ck-leg-name">${esc(leg)}</span> <canvas width="120" height="26"></canvas><span class="ck-vol"><span></span></span><span class="ck-quiet" title="silence">silent</span>`;
        legs.appendChild(box);
        canvases[leg] = box;
      }
      canvases[leg].dataset.state = state.legs[leg];
      const quiet = state.quietSince[leg];
      canvases[leg].querySelector(".ck-quiet").classList.toggle("on", quiet != null && (state.levels[leg]?.at(-1)?.t ?? 0) - quiet >= SILENT_AFTER_S);
      const values = (state.levels[leg] || []).map((r) => r.rms);
      waveform(canvases[leg].querySelector("canvas"), values, leg === "customer" ? "#0b7285" : "#862e9c", HISTORY);
      canvases[leg].querySelector(".ck-vol span").style.width = `${Math.min(100, (values.at(-1) || 0) * 400)}%`;
    }
  }

  // A row per line or action, kept across draws and updated in place: the view draws every
  // frame (20 audio levels a second), and an element rebuilt between a press and its release
  // swallows the click, so a flag or a button clicked mid-call did nothing.
  const rows = new Map();
  function drawLines() {
    const box = $(".ck-lines");
    if (!box) return;
    const query = ($(".ck-search").value || "").trim().toLowerCase();
    // Lines and the agent's actions in one timeline, by call time.
    const timeline = [...state.lines.entries()].map(([key, l]) => ({ key, ...l }))
      .concat(state.actions.map((a, i) => ({ key: `action:${i}`, action: a, start: a.at_s })))
      .sort((a, b) => a.start - b.start);
    let at = box.firstElementChild;
    for (const l of timeline) {
      let row = rows.get(l.key);
      if (!row) { row = document.createElement("div"); row.dataset.key = l.key; rows.set(l.key, row); }
      const [cls, html] = lineParts(l, query);
      if (row.className !== cls) row.className = cls;
      setHtml(row, html);
      if (row === at) at = at.nextElementSibling; else box.insertBefore(row, at);
    }
    while (at) { const next = at.nextElementSibling; rows.delete(at.dataset.key); at.remove(); at = next; }
    if (follow) box.scrollTop = box.scrollHeight;
  }

  function lineParts(l, query) {
    if (l.action) {
      const a = l.action, label = a.action === "template" ? `✎ “${a.payload?.text || ""}”` : `✔ ${model.get("actions")[a.action] || a.action}`;
      return ["ck-line ck-action", `<span class="ck-time">[${clock(l.start)}]</span>${esc(label)}`];
    }
    let text = esc(l.text);
    if (query) text = text.replace(new RegExp(query.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "gi"), (m) => `<mark>${m}</mark>`);
    const flagged = state.flagged.has(Number(l.start).toFixed(2));
    return [`ck-line ck-${l.leg}${l.final ? "" : " ck-partial"}${query && !l.text.toLowerCase().includes(query) ? " ck-dim" : ""}`,
      `<span class="ck-time">[${clock(l.start)}]</span><span class="ck-who">${esc(l.leg)}</span><span class="ck-text">${text}</span>
        ${l.final ? `<button class="ck-flag${flagged ? " on" : ""}" data-at="${l.start}" title="flag this moment">⚑</button>` : ""}`];
  }

  function drawCards() {
    const list = $(".ck-cards .ck-list");
    if (!list) return;
    for (const c of state.cards.values()) {
      let card = list.querySelector(`[data-id="${c.id}"]`);
      if (!card) {
        card = document.createElement("div");
        card.dataset.id = c.id;
        card.dataset.wall = c.wall;  // when the kernel started it: latency to the first word
        card.innerHTML = `<div class="ck-card-head"><span class="ck-kind"></span><span class="ck-prio"></span><span class="ck-topic"></span></div>
          <div class="ck-card-text"></div><div class="ck-card-sources"></div>
          <div class="ck-card-buttons"><button data-fb="used">Use</button><button data-fb="dismissed">Dismiss</button></div>`;
        list.prepend(card);
      }
      card.className = `ck-card ck-${c.kind} ck-p-${c.priority}${c.done ? "" : " ck-streaming"}${c.feedback ? ` ck-${c.feedback}` : ""}`;
      card.querySelector(".ck-kind").textContent = `${ICONS[c.kind] || ""} ${c.kind}`;
      card.querySelector(".ck-prio").textContent = PRIORITY[c.priority] || c.priority;
      card.querySelector(".ck-topic").textContent = c.topic;
      card.querySelector(".ck-card-text").textContent = c.text;
      drawSources(card.querySelector(".ck-card-sources"), c.sources);
      card.querySelectorAll("button").forEach((b) => { b.disabled = !c.done || !!c.feedback || state.status !== "active"; });
    }
  }

  // What a card rests on (tool results, policies, the customer record, words said), so the
  // agent can check it before saying it. Rebuilt only when it changes: cards redraw per frame.
  function drawSources(box, sources) {
    const html = sources.length ? `<span class="ck-based">Based on:</span><ul>${sources.map((s) =>
      `<li><span class="ck-src-kind">${esc(s.kind)}</span> ${s.name ? `<b>${esc(s.name)}</b>: ` : ""}${esc(s.fact)}</li>`).join("")}</ul>` : "";
    setHtml(box, html);
    box.hidden = !html;
  }

  function drawCustomer() {
    const box = $(".ck-profile");
    if (!box || !state.context) return;
    const ctx = state.context, c = ctx.customer;
    if (!c) {
      setHtml(box, `<p>${esc(ctx.reason || "Several customers match:")} Who is calling?</p>${(ctx.candidates || []).map((k) => `<button class="ck-pick" data-customer="${esc(k.id)}">${esc(k.name)} · #${esc(k.account_number)} · ${esc(k.tier)}</button>`).join(" ")}`);
      return;
    }
    const said = [...state.lines.values()].map((l) => l.text).join(" ");  // the order under discussion
    const orders = (ctx.orders || []).slice(0, 5).map((o) => `<li class="${said.includes(o.order_number) ? "ck-hot" : ""}">#${esc(o.order_number)} ${esc(o.product_name)} · ${esc(o.status)} · ${money(o.amount)}</li>`).join("");
    const tickets = (ctx.tickets || []).slice(0, 5).map((t) => `<li class="${["open", "pending"].includes(t.status) ? "ck-open" : ""}">${esc(t.subject)} · <i>${esc(t.status)}</i> · ${esc(String(t.created_at || "").slice(0, 10))}</li>`).join("");
    const past = (ctx.past_calls || []).map((p) => `<li>${esc(String(p.start_time || "").slice(0, 10))}: ${esc(p.reason)} (${esc(p.sentiment)})</li>`).join("");
    const notes = (ctx.notes || []).slice(0, 3).map((n) => `<li><i>${esc(n.kind)}:</i> ${esc(n.text)}</li>`).join("");
    setHtml(box, `<div class="ck-name">${esc(c.name)} <span class="ck-tier ck-tier-${esc(c.tier)}">${esc(c.tier)}</span></div>
      <div class="ck-facts-grid"><span>Account</span><b>#${esc(c.account_number)}</b><span>Since</span><b>${esc(String(c.created_at || "").slice(0, 7))}</b>
      <span>Lifetime value</span><b>${money(c.lifetime_value)}</b><span>Status</span><b>${esc(c.status)}</b><span>Last contact</span><b>${esc(String(c.last_contact || "never").slice(0, 10))}</b><span>Issue</span><b>${esc(c.last_issue || "—")}</b></div>
      ${orders ? `<div class="ck-sub">Recent orders</div><ul>${orders}</ul>` : ""}
      ${tickets ? `<div class="ck-sub">Tickets</div><ul>${tickets}</ul>` : ""}
      ${notes ? `<div class="ck-sub">Notes</div><ul>${notes}</ul>` : ""}
      ${past ? `<div class="ck-sub">Past calls</div><ul>${past}</ul>` : ""}`);
    drawTemplates(c, ctx.orders || []);
  }

  function drawTemplates(c, orders) {
    const box = $(".ck-templates");
    if (!box) return;
    const first = (c.name || "").split(" ")[0];
    const order = orders[0];
    const lines = [`Thanks for calling, ${first}. I have your account #${c.account_number} open.`,
      order ? `Your order #${order.order_number} (${order.product_name}) is ${order.status}.` : null,
      `Is there anything else I can help you with today, ${first}?`].filter(Boolean);
    setHtml(box, lines.map((t) => `<button class="ck-template">${esc(t)}</button>`).join(""));
  }

  function drawSummary() {
    const box = $(".ck-summary");
    if (!box || !state.summary) return;
    const s = state.summary;
    box.hidden = false;
    setHtml(box, `<header><b>Call summary</b> <span class="ck-sentiment">${esc(s.sentiment)}</span></header>
      <p><b>Reason:</b> ${esc(s.reason)}</p><p><b>Resolution:</b> ${esc(s.resolution)}</p>
      ${(s.action_items || []).length ? `<p><b>Action items:</b></p><ul>${s.action_items.map((i) => `<li>${esc(i)}</li>`).join("")}</ul>` : ""}
      <p class="ck-summary-text">${esc(s.text)}</p>`);
  }

  const onMsg = (msg, buffers) => {
    if (msg.kind === "levels") {
      const view = buffers[0];
      const readings = new Float64Array(view.buffer || view, view.byteOffset || 0, msg.legs.length * 4);
      msg.legs.forEach((leg, i) => {
        const [id, rms, peak, t] = readings.subarray(i * 4, i * 4 + 4);
        if (id <= (state.lastLevel[leg] || 0)) return;
        state.lastLevel[leg] = id;
        const list = (state.levels[leg] ||= []);
        list.push({ rms, peak, t }); if (list.length > HISTORY) list.shift();
        if (rms >= SILENT_RMS) state.quietSince[leg] = null;
        else if (state.quietSince[leg] == null) state.quietSince[leg] = t;
        state.legs[leg] ||= "connected";
      });
      schedule();
    } else if (msg.kind === "error") {
      const err = $(".ck-error"); if (err) err.textContent = msg.message;
    } else if (msg.kind === "snapshot" || msg.kind === "events") {
      queue.push(msg); schedule();
    }
  };
  model.on("msg:custom", onMsg);

  el.addEventListener("click", (ev) => {
    const b = ev.target.closest("button");
    if (!b) return;
    if (b.dataset.fb) model.send({ kind: "feedback", id: b.closest(".ck-card").dataset.id, action: b.dataset.fb });
    else if (b.classList.contains("ck-pick")) model.send({ kind: "pick", customer_id: Number(b.dataset.customer) });
    else if (b.classList.contains("ck-flag")) model.send({ kind: "flag", at_s: Number(b.dataset.at), text: b.parentElement.querySelector(".ck-text").textContent });
    else if (b.dataset.action) model.send({ kind: "action", action: b.dataset.action });
    else if (b.classList.contains("ck-template")) { const notes = $(".ck-notes"); notes.value += (notes.value ? "\n" : "") + b.textContent; model.send({ kind: "action", action: "template", text: b.textContent }); }
    else if (b.classList.contains("ck-end")) model.send({ kind: "end" });
    else if (b.classList.contains("ck-mute")) { const muted = state.legs.agent !== "muted"; model.send({ kind: "mute", leg: "agent", muted }); }
    else if (b.classList.contains("ck-live")) { follow = true; b.hidden = true; draw(); }
  });
  const linesBox = $(".ck-lines");
  linesBox?.addEventListener("scroll", () => {
    follow = linesBox.scrollTop + linesBox.clientHeight >= linesBox.scrollHeight - 8;
    $(".ck-live").hidden = follow;
  });
  $(".ck-search")?.addEventListener("input", () => drawLines());
  const buttons = $(".ck-buttons");
  if (buttons) buttons.innerHTML = Object.entries(model.get("actions")).map(([k, label]) => `<button data-action="${esc(k)}">${esc(label)}</button>`).join("");
  function tick() {  // call time: the audio clock the transcript uses, or the wall clock before audio
    const t = $(".ck-timer");
    const heard = Math.max(0, ...Object.values(state.levels).map((l) => l.at(-1)?.t ?? 0));
    if (t && state.started) t.textContent = clock(state.duration ?? (heard || (Date.now() / 1000 - state.started)));
  }
  const timer = setInterval(tick, 1000);

  model.send({ kind: "sync" });
  return () => { clearInterval(timer); if (frame) cancelAnimationFrame(frame); model.off("msg:custom", onMsg); };
}

export default { render };
