// The layer panel's pictures: a layer's sliding window, one frame per output cell, drawn
// as Dumoulin & Visin draw it (the input canvas with its padding and, for a transposed
// convolution, the zeros inserted between input cells; the kernel's taps over it; the
// output with the current cell), and the receptive field of that cell on the network's
// input. Every number comes from /api/figure (netspec/serve/figure.py): per axis, the
// canvas cells each output index taps; this file only combines the two axes.
//
// A canvas or output larger than VIEW (36) cells per side is drawn VIEW cells at a time:
// the part that holds the current window (or cell), following it as it slides, so that a
// 224x224 input animates with readable cells; the caption says which part is shown.
// Test hooks on the .anim element: data-frame (the current frame), data-window (the
// canvas cells the kernel taps, "y,x" separated by spaces), data-input (the input cells
// it reads), data-output (the current output cell).
"use strict";

const NS = "http://www.w3.org/2000/svg";
const CELL = 12; // svg units per cell
const VIEW = 36; // cells per side drawn at once (a 32x32 input with its padding whole)
const SPEEDS = [1, 2, 4, 8, 16, 32, 64]; // frames per second
const KINDS = ["beyond", "output_padding", "padding", "zero"]; // as geometry.py's kind()

function svg(tag, attributes = {}) {
  const node = document.createElementNS(NS, tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  return node;
}

function html(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

// the first of `size` cells to show of `total`, keeping [lo, hi) in view; `from` is the
// part shown now, kept while it still holds the window (a picture that jumps each frame
// is hard to follow)
function follow(from, size, total, lo, hi) {
  if (total <= size) return 0;
  if (lo >= from && hi <= from + size) return from;
  return Math.max(0, Math.min(total - size, Math.floor((lo + hi - size) / 2)));
}

// a grid of rows x cols rects, redrawn in place: paint(top, left, classOf(y, x))
function grid(rows, cols, label) {
  const element = svg("svg", {
    viewBox: `-1 -1 ${cols * CELL + 2} ${rows * CELL + 2}`,
    role: "img",
    "aria-label": label,
  });
  const rects = [];
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      const rect = svg("rect", { x: x * CELL, y: y * CELL, width: CELL, height: CELL });
      rects.push(rect);
      element.append(rect);
    }
  }
  const outline = svg("rect", { class: "outline", fill: "none" });
  element.append(outline);
  function paint(top, left, classOf) {
    rects.forEach((rect, n) => {
      const y = top + Math.floor(n / cols);
      const x = left + (n % cols);
      rect.setAttribute("class", classOf(y, x));
      rect.dataset.cell = `${y},${x}`;
    });
  }
  function box(y, x, height, width) {
    for (const [key, value] of Object.entries({ x: x * CELL, y: y * CELL, width: width * CELL, height: height * CELL })) {
      outline.setAttribute(key, value);
    }
  }
  return { element, paint, box };
}

const range = (from, size) => `${from}–${from + size - 1}`;
const shown = (value) => String(Math.round(value * 1000) / 1000);

// the receptive field on the network's input: the whole input, and the box one unit sees
export function fieldFigure(field) {
  const [height, width] = field.input_size;
  const rows = field.rows || [field.box[0]];
  const cols = field.cols || [field.box[1]];
  // the picture spans the input and every unit's field (a field may reach into padding)
  const top = Math.min(0, rows[0][0]);
  const left = Math.min(0, cols[0][0]);
  const bottom = Math.max(height, rows[rows.length - 1][1]);
  const right = Math.max(width, cols[cols.length - 1][1]);
  const picture = svg("svg", {
    viewBox: `${left - 0.5} ${top - 0.5} ${right - left + 1} ${bottom - top + 1}`,
    role: "img",
    "aria-label": `receptive field on ${field.input}`,
  });
  picture.append(svg("rect", { class: "rf-input", x: 0, y: 0, width, height }));
  if (height <= 64 && width <= 64) {
    let lines = "";
    for (let y = 1; y < height; y++) lines += `M0 ${y}H${width}`;
    for (let x = 1; x < width; x++) lines += `M${x} 0V${height}`;
    picture.append(svg("path", { class: "rf-grid", d: lines }));
  }
  const box = svg("rect", { class: "rf-box" });
  picture.append(box);
  const caption = html("figcaption");
  const element = html("figure", { class: "anim-field" }, picture, caption);
  const axes = (values) => (values.every((v) => v === values[0]) ? values[0] : values.join("×"));
  const numbers = `r = ${axes(field.size)}, S = ${axes(field.stride)}, P = ${axes(field.padding)}`;
  function show(unit) {
    const [r0, r1] = field.rows ? field.rows[unit[0]] : field.box[0];
    const [c0, c1] = field.cols ? field.cols[unit[1]] : field.box[1];
    for (const [key, value] of Object.entries({ x: c0, y: r0, width: c1 - c0, height: r1 - r0 })) {
      box.setAttribute(key, value);
    }
    element.dataset.box = `${r0},${r1},${c0},${c1}`;
    const who = field.whole ? "every unit" : `unit (${unit[0]}, ${unit[1]})`;
    caption.textContent =
      `receptive field on ${field.input} (${height}×${width}): ${who} sees rows ` +
      `[${shown(r0)}, ${shown(r1)}), cols [${shown(c0)}, ${shown(c1)}); ${numbers}`;
  }
  show(field.unit);
  return { element, show };
}

// the animation of window `w` (figure.py's `window`), with `field` (or null) following
// the current output cell; starts at frame `start`, paused
export function animation(w, field, start = 0) {
  const [outRows, outCols] = w.output;
  const canvas = [w.rows.kinds.length, w.cols.kinds.length];
  // a window wider than VIEW (a much dilated kernel) widens the view, up to 4 x VIEW
  const extent = (a) => a.windows[0][a.windows[0].length - 1] - a.windows[0][0] + 1;
  const view = [w.rows, w.cols].map((a, n) => Math.min(canvas[n], Math.max(VIEW, Math.min(extent(a), 4 * VIEW))));
  const outView = [Math.min(outRows, VIEW), Math.min(outCols, VIEW)];
  const input = grid(view[0], view[1], "the input and the kernel over it");
  const output = grid(outView[0], outView[1], "the output; hover a cell to see its window");
  const inputCaption = html("figcaption");
  const outputCaption = html("figcaption");
  const rf = field ? fieldFigure(field) : null;
  const root = html(
    "div",
    { class: "anim", "data-frame": "0" },
    html(
      "div",
      { class: "anim-grids" },
      html("figure", { class: "anim-input" }, input.element, inputCaption),
      html("figure", { class: "anim-output" }, output.element, outputCaption),
      ...(rf ? [rf.element] : []),
    ),
  );
  const { back, play, forward, scrub, speed, label, bar } = controls(w.frames);
  root.append(bar, legend(w));

  let frame = 0;
  let timer = null;
  let inputFrom = [0, 0];
  let outputFrom = [0, 0];

  function go(next) {
    frame = ((next % w.frames) + w.frames) % w.frames;
    const r = Math.floor(frame / outCols);
    const c = frame % outCols;
    const ys = w.rows.windows[r];
    const xs = w.cols.windows[c];
    const taps = new Set(ys.flatMap((y) => xs.map((x) => `${y},${x}`)));
    const [ylo, yhi] = [ys[0], ys[ys.length - 1] + 1];
    const [xlo, xhi] = [xs[0], xs[xs.length - 1] + 1];
    inputFrom = [follow(inputFrom[0], view[0], canvas[0], ylo, yhi), follow(inputFrom[1], view[1], canvas[1], xlo, xhi)];
    input.paint(inputFrom[0], inputFrom[1], (y, x) => {
      const kind = KINDS.find((k) => w.rows.kinds[y] === k || w.cols.kinds[x] === k) || "input";
      return `k-${kind}${taps.has(`${y},${x}`) ? " tap" : ""}`;
    });
    input.box(ylo - inputFrom[0], xlo - inputFrom[1], yhi - ylo, xhi - xlo);
    outputFrom = [follow(outputFrom[0], outView[0], outRows, r, r + 1), follow(outputFrom[1], outView[1], outCols, c, c + 1)];
    output.paint(outputFrom[0], outputFrom[1], (y, x) => {
      const n = y * outCols + x;
      return n === frame ? "o current" : n < frame ? "o done" : "o";
    });
    output.box(r - outputFrom[0], c - outputFrom[1], 1, 1);
    const read = w.rows.positions[r].flatMap((i) => w.cols.positions[c].map((j) => (i === null || j === null ? null : `${i},${j}`)));
    root.dataset.frame = String(frame);
    root.dataset.window = [...taps].join(" ");
    root.dataset.input = read.filter((v) => v !== null).join(" ");
    root.dataset.output = `${r},${c}`;
    scrub.value = String(frame);
    label.textContent = `frame ${frame + 1} / ${w.frames}: output (${r}, ${c})`;
    inputCaption.textContent = caption("canvas", canvas, view, inputFrom, describe(w));
    outputCaption.textContent = caption("output", w.output, outView, outputFrom, "");
    if (rf) rf.show([r, c]);
  }

  function pause() {
    clearInterval(timer);
    timer = null;
    play.textContent = "play";
    root.classList.remove("playing");
  }

  function resume() {
    clearInterval(timer);
    // a panel put away stops; one behind another tab waits (offsetParent is null there)
    const tick = () => (!root.isConnected ? pause() : root.offsetParent && go(frame + 1));
    timer = setInterval(tick, 1000 / Number(speed.value));
    play.textContent = "pause";
    root.classList.add("playing");
  }

  play.addEventListener("click", () => (timer ? pause() : resume()));
  back.addEventListener("click", () => (pause(), go(frame - 1)));
  forward.addEventListener("click", () => (pause(), go(frame + 1)));
  scrub.addEventListener("input", () => (pause(), go(Number(scrub.value))));
  speed.addEventListener("change", () => timer && resume());
  output.element.addEventListener("mouseover", (event) => {
    const cell = event.target.dataset && event.target.dataset.cell;
    if (!cell) return;
    const [y, x] = cell.split(",").map(Number);
    pause();
    go(y * outCols + x);
  });
  go(Math.min(start, w.frames - 1));
  return { element: root, stop: pause, frame: () => frame };
}

// play / pause, step back and forward, the frame slider, the speed, the frame's label
function controls(frames) {
  const button = (action, text, title) => html("button", { type: "button", "data-action": action, title, text });
  const back = button("back", "◀", "step back");
  const play = button("play", "play", "play / pause");
  const forward = button("forward", "▶", "step forward");
  const max = String(frames - 1);
  const scrub = html("input", { type: "range", class: "scrub", min: "0", max, value: "0", "aria-label": "frame" });
  const speed = html("select", { class: "speed", "aria-label": "frames per second" });
  for (const s of SPEEDS) speed.append(html("option", { value: String(s), text: `${s}/s` }));
  speed.value = "8";
  const label = html("span", { class: "frame-label" });
  const bar = html("div", { class: "anim-controls" }, back, play, forward, scrub, speed, label);
  return { back, play, forward, scrub, speed, label, bar };
}

// "canvas 36×36 (rows 0–31, cols 4–35 shown)": which part of a large grid is drawn
function caption(what, size, view, from, more) {
  const part = size[0] > view[0] || size[1] > view[1] ? ` (rows ${range(from[0], view[0])}, cols ${range(from[1], view[1])} shown)` : "";
  return `${what} ${size[0]}×${size[1]}${part}${more}`;
}

// what the canvas is made of, per axis where the axes differ
function describe(w) {
  const axis = (a) => {
    const parts = [`input ${a.input}`];
    const [before, after] = a.padding;
    if (w.transposed) {
      if (a.zeros) parts.push(`${a.zeros} zero${a.zeros > 1 ? "s" : ""} between cells`);
      parts.push(a.border >= 0 ? `padding ${a.border}` : `cropped by ${-a.border}`);
      if (a.output_padding) parts.push(`output padding ${a.output_padding}`);
    } else if (before || after) {
      parts.push(before === after ? `padding ${before}` : `padding ${before}+${after}`);
    }
    parts.push(`kernel ${a.kernel}`, `stride ${w.transposed ? 1 : a.stride}`);
    if (a.dilation > 1) parts.push(`dilation ${a.dilation}`);
    return parts.join(", ");
  };
  const [rows, cols] = [axis(w.rows), axis(w.cols)];
  return rows === cols ? `: ${rows}` : `: rows ${rows}; cols ${cols}`;
}

// the colours' meanings, for the kinds of cell this canvas has
function legend(w) {
  const present = new Set([...w.rows.kinds, ...w.cols.kinds]);
  const names = {
    input: "input",
    padding: w.kind === "max pooling" ? "padding (−∞)" : "padding (0)",
    zero: "inserted zero",
    output_padding: "output padding",
    beyond: "past the input (ceil mode)",
  };
  const list = html("ul", { class: "anim-legend" });
  for (const [kind, text] of Object.entries(names)) {
    if (!present.has(kind)) continue;
    list.append(html("li", {}, swatch(`k-${kind}`), text));
  }
  list.append(html("li", {}, swatch("k-input tap"), "kernel tap"), html("li", {}, swatch("o current"), "current output"));
  return list;
}

function swatch(className) {
  const picture = svg("svg", { viewBox: `0 0 ${CELL} ${CELL}`, class: "swatch" });
  picture.append(svg("rect", { class: className, x: 0, y: 0, width: CELL, height: CELL }));
  return picture;
}
