// One WebRTC leg from this browser to the kernel, both ways: the microphone goes up, the
// other party's voice (relayed by the kernel) comes back and plays here. Shared by the caller's
// page (signaling over HTTP) and the Phone widget (signaling over the widget's comm):
// callkit/assets.py joins this file in front of each.

function gatheringComplete(pc) {
  // aiortc takes whole descriptions (no trickle ICE): wait until every candidate is in.
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => pc.addEventListener("icegatheringstatechange", () => {
    if (pc.iceGatheringState === "complete") resolve();
  }));
}

// Peak (0..1) of what an AnalyserNode hears right now.
function peakOf(analyser, data) {
  analyser.getFloatTimeDomainData(data);
  let peak = 0;
  for (const v of data) peak = Math.max(peak, Math.abs(v));
  return peak;
}

// options.signal(sdp, rejoin) sends an offer and resolves to the answer's SDP; an error
// with .final set (the call is over) stops reconnecting. options.onState(state, detail)
// hears "connecting", "connected", "reconnecting", "ended" and "error".
function legClient(options) {
  const { signal, onState } = options;
  let pc = null, stream = null, ctx = null, leaving = false, timer = null;
  let retryDelay = 1000;
  const audio = new Audio();  // the other party's voice
  audio.autoplay = true;
  const meters = { local: null, remote: null };
  const localData = new Float32Array(1024), remoteData = new Float32Array(1024);

  function analyser(source) {
    const node = ctx.createAnalyser();
    node.fftSize = 1024;
    ctx.createMediaStreamSource(source).connect(node);
    return node;
  }

  async function connect(rejoin) {
    onState(rejoin ? "reconnecting" : "connecting");
    if (pc) pc.close();
    const mine = pc = new RTCPeerConnection();
    stream.getAudioTracks().forEach((t) => mine.addTrack(t, stream));  // sendrecv: we listen too
    mine.addEventListener("track", (e) => {
      if (mine !== pc) return;
      const remote = e.streams[0] || new MediaStream([e.track]);
      audio.srcObject = remote;
      audio.play().catch(() => onState("connected", "click the page to hear the other side"));
      meters.remote = analyser(remote);
    });
    mine.addEventListener("connectionstatechange", () => {
      if (mine !== pc || leaving) return;  // an older connection, already replaced
      const s = mine.connectionState;
      if (s === "connected") { retryDelay = 1000; onState("connected"); }
      if (s === "failed" || s === "disconnected") retry();
    });
    await mine.setLocalDescription(await mine.createOffer());
    await gatheringComplete(mine);
    const sdp = await signal(mine.localDescription.sdp, rejoin);
    if (mine === pc) await mine.setRemoteDescription({ type: "answer", sdp });
  }

  // One pending retry at a time, 1 s, 2 s, 4 s … 8 s apart, each with a fresh connection.
  function retry() {
    if (leaving || timer) return;
    onState("reconnecting", `retrying in ${retryDelay / 1000} s`);
    timer = setTimeout(async () => {
      timer = null;
      if (leaving || (pc && pc.connectionState === "connected")) return;
      try {
        await connect(true);
      } catch (e) {
        if (e.final) return close("ended", e.message);
        retryDelay = Math.min(retryDelay * 2, 8000);
        retry();
      }
    }, retryDelay);
  }

  async function start(rejoin) {
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: {
        echoCancellation: true, noiseSuppression: false, autoGainControl: false } });
    } catch (e) {
      onState("error", `Microphone not available: ${e.message}`);
      return false;
    }
    ctx = new AudioContext();
    // A tab that rejoined by itself after a reload has had no click yet: browsers keep audio
    // suspended until one, so the meters and the voice wake at the first touch of the page.
    document.addEventListener("pointerdown", () => { ctx.resume(); audio.play().catch(() => {}); },
                              { once: true });
    meters.local = analyser(stream);
    try {
      await connect(rejoin);
    } catch (e) {
      if (e.final) { close("ended", e.message); return false; }
      onState("error", e.message);
      retry();
    }
    return true;
  }

  function setMuted(muted) {
    if (stream) stream.getAudioTracks().forEach((t) => (t.enabled = !muted));
  }

  // Peaks of the microphone and of the other side's voice, for meters (0 before connecting).
  function levels() {
    return { local: meters.local ? peakOf(meters.local, localData) : 0,
             remote: meters.remote ? peakOf(meters.remote, remoteData) : 0 };
  }

  function close(state = "ended", detail) {
    leaving = true;
    if (timer) clearTimeout(timer);
    if (pc) pc.close();
    if (stream) stream.getTracks().forEach((t) => t.stop());
    audio.srcObject = null;
    if (ctx) ctx.close();
    onState(state, detail);
  }

  return { start, setMuted, levels, close, get leaving() { return leaving; } };
}
