// callkit Phone: a WebRTC leg from this browser to the kernel, signaled over the widget's
// own comm (no extra server, no open port). Levels arrive as binary buffers.

const HISTORY = 120; // level readings kept per waveform (6 s at 20 Hz)

function gatheringComplete(pc) {
  // aiortc takes whole descriptions (no trickle ICE): wait until every candidate is in.
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => pc.addEventListener("icegatheringstatechange", () => {
    if (pc.iceGatheringState === "complete") resolve();
  }));
}

function render({ model, el }) {
  el.classList.add("callkit-phone");
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
    </div>
    <div class="ck-transcript"></div>`;
  const $ = (sel) => el.querySelector(sel);
  $(".ck-title").textContent = `${model.get("leg")} leg · call ${model.get("call_id").slice(0, 8)}`;
  const local = [], remote = [];
  const lines = {};
  let pc = null, stream = null, frame = null, ctx = null, leaving = false;

  const setState = (state) => {
    $(".ck-state").dataset.state = state;
    $(".ck-state").textContent = state;
    model.set("state", state);
    model.save_changes();
  };
  const push = (list, v) => { list.push(v); if (list.length > HISTORY) list.shift(); };

  async function connect(rejoin) {
    setState(rejoin ? "reconnecting" : "connecting");
    if (pc) pc.close();
    pc = new RTCPeerConnection();
    stream.getAudioTracks().forEach((t) => pc.addTrack(t, stream));
    pc.addEventListener("connectionstatechange", () => {
      const s = pc.connectionState;
      if (s === "connected") setState("connected");
      if ((s === "failed" || s === "disconnected") && !leaving) setTimeout(() => connect(true), 500);
    });
    await pc.setLocalDescription(await pc.createOffer());
    await gatheringComplete(pc);
    model.send({ kind: "offer", sdp: pc.localDescription.sdp, rejoin });
  }

  function meter() {
    ctx = new AudioContext();
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 1024;
    ctx.createMediaStreamSource(stream).connect(analyser);
    const data = new Float32Array(analyser.fftSize);
    let last = 0;
    const tick = (now) => {
      if (now - last > 50) {
        analyser.getFloatTimeDomainData(data);
        let peak = 0;
        for (const v of data) peak = Math.max(peak, Math.abs(v));
        push(local, model.get("muted") ? 0 : peak);
        el.dataset.localPeak = peak.toFixed(3);
        el.dataset.localMax = Math.max(peak, Number(el.dataset.localMax || 0)).toFixed(3);
        last = now;
      }
      waveform($(".ck-local"), local, "#1a73e8", HISTORY);
      waveform($(".ck-remote"), remote, "#34a853", HISTORY);
      frame = requestAnimationFrame(tick);
    };
    frame = requestAnimationFrame(tick);
  }

  $(".ck-call").onclick = async () => {
    $(".ck-error").textContent = "";
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: {
        echoCancellation: false, noiseSuppression: false, autoGainControl: false } });
    } catch (e) {
      $(".ck-error").textContent = `Microphone not available: ${e.message}`;
      return setState("error");
    }
    $(".ck-call").disabled = true;
    $(".ck-mute").disabled = $(".ck-hangup").disabled = false;
    meter();
    // After a page reload the kernel still holds this leg's old connection: replace it.
    await connect(["connected", "reconnecting"].includes(model.get("state")));
  };
  $(".ck-mute").onclick = () => {
    model.set("muted", !model.get("muted"));
    model.save_changes();
  };
  model.on("change:muted", () => {
    const muted = model.get("muted");
    $(".ck-mute").textContent = muted ? "Unmute" : "Mute";
    if (stream) stream.getAudioTracks().forEach((t) => (t.enabled = !muted));
  });
  $(".ck-hangup").onclick = () => {
    leaving = true;
    if (pc) pc.close();
    if (stream) stream.getTracks().forEach((t) => t.stop());
    model.send({ kind: "hangup" });
    setState("ended");
    $(".ck-mute").disabled = $(".ck-hangup").disabled = true;
  };

  model.on("msg:custom", async (msg, buffers) => {
    if (msg.kind === "answer") {
      await pc.setRemoteDescription({ type: "answer", sdp: msg.sdp });
    } else if (msg.kind === "error") {
      $(".ck-error").textContent = msg.message;
      setState("error");
    } else if (msg.kind === "level") {
      const view = buffers[0];
      const values = new Float32Array(view.buffer, view.byteOffset, 2);
      if (msg.leg === model.get("leg")) push(remote, values[1]);
      if (msg.leg === model.get("leg")) {
        el.dataset.remotePeak = values[1].toFixed(3);
        el.dataset.remoteMax = Math.max(values[1], Number(el.dataset.remoteMax || 0)).toFixed(3);
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
      if (msg.state === "dropped" && !leaving) setState("reconnecting");
      if (msg.state === "ended") { leaving = true; setState("ended"); }
    }
  });

  return () => {
    leaving = true;
    if (frame) cancelAnimationFrame(frame);
    if (pc) pc.close();
    if (stream) stream.getTracks().forEach((t) => t.stop());
    if (ctx) ctx.close();
  };
}

export default { render };
