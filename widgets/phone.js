// callkit Phone: a WebRTC leg from this browser to the kernel (leg_client.js, joined in front),
// signaled over the widget's own comm (no extra server, no open port). Levels arrive as
// binary buffers; the other party's voice plays here.

const HISTORY = 120; // level readings kept per waveform (6 s at 20 Hz)

function render({ model, el }) {
  el.classList.add("callkit-phone");
  const other = model.get("leg") === "agent" ? "customer" : "agent";
  el.innerHTML = `
    <div class="ck-head">
      <span class="ck-title"></span>
      <span class="ck-state" data-state="idle">idle</span>
    </div>
    <div class="ck-row">
      <button class="ck-call">Call</button>
      <button class="ck-mute" disabled>Mute</button>
      <button class="ck-hangup" disabled>Hang up</button>
      <span class="ck-error"></span>
    </div>
    <div class="ck-meters">
      <label>you</label><canvas class="ck-local" width="360" height="36"></canvas>
      <label>kernel</label><canvas class="ck-remote" width="360" height="36"></canvas>
      <label>${other}</label><canvas class="ck-heard" width="360" height="36"></canvas>
    </div>
    <div class="ck-transcript"></div>`;
  const $ = (sel) => el.querySelector(sel);
  $(".ck-title").textContent = `${model.get("leg")} leg · call ${model.get("call_id").slice(0, 8)}`;
  const local = [], remote = [], heard = [];
  const lines = {};
  let client = null, frame = null, answer = null;

  const setState = (state, detail) => {
    $(".ck-state").dataset.state = state;
    $(".ck-state").textContent = state;
    $(".ck-error").textContent = detail || "";
    model.set("state", state);
    model.save_changes();
  };
  const push = (list, v) => { list.push(v); if (list.length > HISTORY) list.shift(); };
  const mark = (name, v) => {  // the latest and loudest reading, for tests and curious users
    el.dataset[`${name}Peak`] = v.toFixed(3);
    el.dataset[`${name}Max`] = Math.max(v, Number(el.dataset[`${name}Max`] || 0)).toFixed(3);
  };

  // The offer goes to the kernel over the comm; its answer (or refusal) comes back as a message.
  const signal = (sdp, rejoin) => new Promise((resolve, reject) => {
    answer = { resolve, reject };
    model.send({ kind: "offer", sdp, rejoin });
  });

  function meters() {
    let last = 0;
    const tick = (now) => {
      if (now - last > 50) {
        const levels = client.levels();
        push(local, model.get("muted") ? 0 : levels.local);
        push(heard, levels.remote);
        mark("local", levels.local);
        mark("heard", levels.remote);
        last = now;
      }
      waveform($(".ck-local"), local, "#1a73e8", HISTORY);
      waveform($(".ck-remote"), remote, "#34a853", HISTORY);
      waveform($(".ck-heard"), heard, "#862e9c", HISTORY);
      frame = requestAnimationFrame(tick);
    };
    frame = requestAnimationFrame(tick);
  }

  $(".ck-call").onclick = async () => {
    $(".ck-call").disabled = true;
    client = legClient({ signal, onState: setState });
    // After a page reload the kernel still holds this leg's old connection: replace it.
    const rejoin = ["connected", "reconnecting"].includes(model.get("state"));
    if (!(await client.start(rejoin))) { $(".ck-call").disabled = false; return; }
    $(".ck-mute").disabled = $(".ck-hangup").disabled = false;
    meters();
  };
  $(".ck-mute").onclick = () => {
    model.set("muted", !model.get("muted"));
    model.save_changes();
  };
  model.on("change:muted", () => {
    const muted = model.get("muted");
    $(".ck-mute").textContent = muted ? "Unmute" : "Mute";
    if (client) client.setMuted(muted);
  });
  // Hang up ends the call (as completed); closing the widget only leaves the leg.
  $(".ck-hangup").onclick = () => {
    model.send({ kind: "hangup" });
    if (client) client.close("ended");
    $(".ck-mute").disabled = $(".ck-hangup").disabled = true;
  };

  model.on("msg:custom", async (msg, buffers) => {
    if (msg.kind === "answer" && answer) {
      answer.resolve(msg.sdp);
      answer = null;
    } else if (msg.kind === "error") {
      if (answer) answer.reject(Object.assign(new Error(msg.message), { final: msg.final }));
      else setState("error", msg.message);
      answer = null;
    } else if (msg.kind === "level") {
      const view = buffers[0];
      const values = new Float32Array(view.buffer, view.byteOffset, 2);
      if (msg.leg === model.get("leg")) {
        push(remote, values[1]);
        mark("remote", values[1]);
      }
    } else if (msg.kind === "transcript") {
      const key = `${msg.leg}:${msg.turn}`;
      let line = lines[key];
      if (!line) {
        line = lines[key] = document.createElement("div");
        line.className = `ck-line ck-${msg.leg}`;
        line.innerHTML = `<span class="ck-time"></span><span class="ck-who"></span><span class="ck-text"></span>`;
        $(".ck-transcript").appendChild(line);
      }
      const t = Math.max(0, msg.start);
      line.querySelector(".ck-time").textContent =
        `${String(Math.floor(t / 60)).padStart(2, "0")}:${(t % 60).toFixed(1).padStart(4, "0")}`;
      line.querySelector(".ck-who").textContent = msg.leg;
      line.querySelector(".ck-text").textContent = msg.final ? msg.text : `${msg.text} …`;
      line.classList.toggle("ck-partial", !msg.final);
      $(".ck-transcript").scrollTop = $(".ck-transcript").scrollHeight;
    } else if (msg.kind === "leg" && msg.leg === model.get("leg")) {
      if (msg.state === "ended") {
        if (client) client.close("ended", msg.reason);
        else setState("ended", msg.reason);
        $(".ck-call").disabled = $(".ck-mute").disabled = $(".ck-hangup").disabled = true;
      }
    }
  });

  return () => {
    if (frame) cancelAnimationFrame(frame);
    if (client && !client.leaving) client.close("ended");
  };
}

export default { render };
