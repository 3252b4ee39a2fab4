// Shared by the widgets and the call page: callkit/assets.py joins this file in front of each
// module (anywidget loads a module from one string, which cannot import its neighbours).

// Level readings (RMS, 0..1) as bars centred on the canvas, newest on the right.
function waveform(canvas, values, color, history) {
  const ctx = canvas.getContext("2d");
  const { width, height } = canvas;
  ctx.clearRect(0, 0, width, height);
  ctx.fillStyle = color;
  const w = width / history;
  values.forEach((v, i) => {
    const h = Math.max(1, Math.min(1, v * 1.6) * height);
    ctx.fillRect(i * w, (height - h) / 2, Math.max(1, w - 1), h);
  });
}
