// The drawing widget's view (anywidget ESM): a canvas to draw on, a clear button, the 28 x 28 image
// the network sees and its 10 probabilities. Python (mnistnn/widget.py) does the preparation and the
// forward pass; this file only draws and shows. Input: pointer events (mouse, touch and pen alike).

const INK = "#111111";

function alphaOf(ctx, size) {
  const rgba = ctx.getImageData(0, 0, size, size).data;
  const alpha = new Uint8Array(size * size);
  for (let i = 0; i < alpha.length; i++) alpha[i] = rgba[4 * i + 3];
  return alpha;
}

function bytesOf(value) {
  // Binary traits arrive as a DataView (or ArrayBuffer); an empty drawing as a zero-length one.
  if (!value) return new Uint8Array(0);
  if (value instanceof DataView) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  return new Uint8Array(0);
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function render({ model, el: root }) {
  const size = model.get("size");
  const wrap = el("div", "mnistnn-draw");

  // Left: the canvas and the clear button.
  const left = el("div", "mnistnn-draw-left");
  const canvas = el("canvas", "mnistnn-draw-canvas");
  canvas.width = size;
  canvas.height = size;
  canvas.style.width = `${size}px`;
  canvas.style.height = `${size}px`;
  canvas.setAttribute("aria-label", "drawing area: draw one digit, 0 to 9");
  canvas.setAttribute("role", "img");
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  const clear = el("button", "mnistnn-draw-clear", "Clear");
  clear.type = "button";
  left.append(canvas, clear);

  // Right: what the network sees, its answer and the probability bars.
  const right = el("div", "mnistnn-draw-right");
  const seesTitle = el("div", "mnistnn-draw-title", "What the network sees (28 x 28)");
  const seen = el("canvas", "mnistnn-draw-seen");
  seen.width = 28;
  seen.height = 28;
  const seenCtx = seen.getContext("2d");
  const answer = el("div", "mnistnn-draw-answer");
  answer.setAttribute("aria-live", "polite");
  const bars = el("div", "mnistnn-draw-bars");
  const rows = [];
  for (let digit = 0; digit < 10; digit++) {
    const row = el("div", "mnistnn-draw-row");
    const label = el("span", "mnistnn-draw-label", String(digit));
    const track = el("span", "mnistnn-draw-track");
    const bar = el("span", "mnistnn-draw-bar");
    track.append(bar);
    const pct = el("span", "mnistnn-draw-pct", "");
    row.append(label, track, pct);
    bars.append(row);
    rows.push({ row, bar, pct });
  }
  right.append(seesTitle, seen, answer, bars);
  wrap.append(left, right);
  root.append(wrap);

  function showResult() {
    const probabilities = model.get("probabilities") || [];
    const prediction = model.get("prediction");
    answer.textContent = model.get("message");
    answer.dataset.prediction = String(prediction);
    rows.forEach(({ row, bar, pct }, digit) => {
      const p = probabilities.length === 10 ? probabilities[digit] : 0;
      bar.style.width = `${(100 * p).toFixed(1)}%`;
      pct.textContent = probabilities.length === 10 ? `${(100 * p).toFixed(1)}%` : "";
      row.classList.toggle("mnistnn-draw-top", digit === prediction);
    });
    const image = bytesOf(model.get("image_bytes"));
    const pixels = seenCtx.createImageData(28, 28);
    for (let i = 0; i < 28 * 28; i++) {
      const ink = image.length === 784 ? image[i] : 0;     // 0 background .. 255 full ink
      const grey = 255 - ink;                               // dark ink on white, like the canvas
      pixels.data.set([grey, grey, grey, 255], 4 * i);
    }
    seenCtx.putImageData(pixels, 0, 0);
  }

  // Drawing: pointer events cover mouse, touch and pen.
  let drawing = false;
  let last = null;
  function position(event) {
    const rect = canvas.getBoundingClientRect();
    return [(event.clientX - rect.left) * (size / rect.width), (event.clientY - rect.top) * (size / rect.height)];
  }
  function segment(from, to) {
    ctx.strokeStyle = INK;
    ctx.fillStyle = INK;
    ctx.lineWidth = model.get("pen_width");
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.beginPath();
    if (from[0] === to[0] && from[1] === to[1]) {
      ctx.arc(to[0], to[1], ctx.lineWidth / 2, 0, 2 * Math.PI);
      ctx.fill();
    } else {
      ctx.moveTo(from[0], from[1]);
      ctx.lineTo(to[0], to[1]);
      ctx.stroke();
    }
  }
  function send(alpha) {
    model.set("drawing", new DataView(alpha.buffer));
    model.save_changes();
  }
  canvas.addEventListener("pointerdown", (event) => {
    if (event.pointerType === "mouse" && event.button !== 0) return;
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    drawing = true;
    last = position(event);
    segment(last, last);
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!drawing) return;
    event.preventDefault();
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
    for (const e of events.length ? events : [event]) {
      const point = position(e);
      segment(last, point);
      last = point;
    }
  });
  function endStroke(event) {
    if (!drawing) return;
    drawing = false;
    if (canvas.hasPointerCapture(event.pointerId)) canvas.releasePointerCapture(event.pointerId);
    send(alphaOf(ctx, size));          // the stroke has ended: let the network read the drawing
  }
  canvas.addEventListener("pointerup", endStroke);
  canvas.addEventListener("pointercancel", endStroke);
  clear.addEventListener("click", () => {
    ctx.clearRect(0, 0, size, size);
    send(new Uint8Array(0));
  });

  // A drawing set from Python (widget.read(canvas) or widget.clear()) is shown on the canvas too.
  function showDrawing() {
    if (drawing) return;
    const alpha = bytesOf(model.get("drawing"));
    const current = alphaOf(ctx, size);
    if (alpha.length === current.length && alpha.every((value, i) => value === current[i])) return;
    ctx.clearRect(0, 0, size, size);
    if (alpha.length !== size * size) return;
    const pixels = ctx.createImageData(size, size);
    for (let i = 0; i < alpha.length; i++) pixels.data.set([17, 17, 17, alpha[i]], 4 * i);
    ctx.putImageData(pixels, 0, 0);
  }

  model.on("change:drawing", showDrawing);
  model.on("change:probabilities", showResult);
  model.on("change:image_bytes", showResult);
  model.on("change:message", showResult);
  model.on("change:prediction", showResult);
  showDrawing();
  showResult();
  return () => {
    model.off("change:drawing", showDrawing);
    model.off("change:probabilities", showResult);
    model.off("change:image_bytes", showResult);
    model.off("change:message", showResult);
    model.off("change:prediction", showResult);
  };
}

export default { render };
