// callkit Dashboard: headline tiles and the plotly figures the kernel sends with each refresh.
// `Plotly` comes from plotly.js, joined in front of this module (callkit/assets.py). DuckDB stays
// in the kernel: the view only asks for a refresh (sync) and picks the period (the days trait).

const TILES = [
  ["calls", "calls", (v) => v.toLocaleString()],
  ["active", "live now", (v) => v],
  ["avg_handle_min", "avg handle time", (v) => `${v.toFixed(1)} min`],
  ["abandoned_share", "abandoned", (v) => `${(100 * v).toFixed(1)}%`],
  ["acceptance", "suggestions used", (v) => `${(100 * v).toFixed(0)}%`],
  ["alerts", "alerts", (v) => v.toLocaleString()],
  ["speech_end_to_shown_p50_s", "speech end → card, p50", (v) => `${v.toFixed(2)} s`],
  ["speech_end_to_shown_p95_s", "speech end → card, p95", (v) => `${v.toFixed(2)} s`],
];
// Panels in reading order; wide ones take a whole row.
const ORDER = ["calls_per_day", "calls_per_hour", "handle_time", "sentiment_trend", "latency_waterfall",
  "sentiment_timeline", "suggestion_outcomes", "alerts_raised", "quick_actions", "top_topics", "top_intents",
  "tool_outcomes"];
const WIDE = new Set(["suggestion_outcomes"]);
const esc = (s) => String(s ?? "").replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));

function render({ model, el }) {
  el.classList.add("callkit-dashboard");
  const options = model.get("periods").map((d) => `<option value="${d}">${d === 1 ? "today and yesterday" : `last ${d} days`}</option>`);
  el.innerHTML = `<header><b>Call analytics</b><select class="ck-days">${options.join("")}</select>
    <span class="ck-updated">waiting for the kernel…</span><span class="ck-error"></span></header>
    <div class="ck-tiles"></div><div class="ck-grid"></div>`;
  const $ = (sel) => el.querySelector(sel);
  const days = $(".ck-days");
  days.value = String(model.get("days"));
  const plots = {};

  function tiles(kpis) {
    $(".ck-tiles").innerHTML = TILES.map(([key, label, fmt]) =>
      `<div class="ck-tile" data-kpi="${key}"><b>${kpis[key] == null ? "—" : esc(fmt(kpis[key]))}</b><span>${esc(label)}</span></div>`).join("");
  }

  function draw(name, json) {
    if (!plots[name]) {
      plots[name] = document.createElement("div");
      plots[name].className = "ck-plot" + (WIDE.has(name) ? " ck-wide" : "");
      plots[name].dataset.panel = name;
      const grid = $(".ck-grid"), next = ORDER.slice(ORDER.indexOf(name) + 1).map((n) => plots[n]).find(Boolean);
      grid.insertBefore(plots[name], next || null);
    }
    const fig = JSON.parse(json);
    // The page's colours (light or dark JupyterLab theme) show through.
    const color = getComputedStyle(el).color;
    const layout = { ...fig.layout, autosize: true, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
      font: { ...(fig.layout.font || {}), color } };
    Plotly.react(plots[name], fig.data, layout, { responsive: true, displaylogo: false });
  }

  const onMsg = (msg) => {
    if (msg.kind === "refresh") {
      $(".ck-error").textContent = "";
      tiles(msg.kpis);
      for (const [name, json] of Object.entries(msg.figures)) draw(name, json);
      $(".ck-updated").textContent = `since ${msg.since} · updated ${msg.updated} · queries ${Math.round(msg.query_s * 1000)} ms`;
      el.dataset.refreshes = String(Number(el.dataset.refreshes || 0) + 1);
    } else if (msg.kind === "error") {
      $(".ck-error").textContent = msg.message;
    }
  };
  model.on("msg:custom", onMsg);
  days.addEventListener("change", () => { model.set("days", Number(days.value)); model.save_changes(); });
  const onDays = () => { days.value = String(model.get("days")); };
  model.on("change:days", onDays);
  model.send({ kind: "sync" });
  return () => {
    model.off("msg:custom", onMsg); model.off("change:days", onDays);
    for (const div of Object.values(plots)) Plotly.purge(div);
  };
}

export default { render };
