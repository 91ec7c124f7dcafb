// The activations panel: run the spec's network (PyTorch, on the server) on an image
// (a bundled digit or photo, or an uploaded PNG/JPEG) with random, the server's, or
// uploaded weights; show each layer's feature maps; a click on a pixel of a convolution's
// map (or on a value of a linear layer, or of a conv's 1 x 1 maps) shows that cell's dot
// product with its numbers.
// POST /api/activations (netspec/serve/activations.py).
"use strict";
import { state, on, ask, problem, element } from "./state.js";

const panel = document.getElementById("activations-panel");
const MAX_IMAGE = 2 * 1024 * 1024; // bytes: the server's limit too
const MAX_WEIGHTS = 11 * 1024 * 1024; // bytes: as base64 it stays under the 16 MiB body limit
const SHOWN_CHANNELS = 8; // input channels of a dot product shown in full
const MAP_PX = 64; // CSS pixels of a map's longer side (drawn pixelated)

let checkpoint = null; // the server's checkpoint's name, if it has one
let run = null; // the request fields of the shown maps: a click asks for the same run
let ran = ""; // the spec text the shown maps are for
let runs = 0; // runs asked for: only the newest one's answer is shown
let cells = 0; // cells asked for: likewise, and none of a run older than the shown one

const controls = element("form", { class: "act-controls" });
const status = element("span", { class: "act-status", role: "status" });
const cellBox = element("div", { class: "act-cell", "aria-live": "polite" });
const results = element("div", { class: "act-results" });

function choice(name, options) {
  const box = element("fieldset", { class: `act-${name}` }, element("legend", { text: name }));
  for (const [value, label] of options) {
    const input = element("input", { type: "radio", name: `act-${name}`, value });
    if (value === options[0][0]) input.checked = true;
    box.append(element("label", {}, input, ` ${label}`));
  }
  return box;
}

function fileInput(name, accept) {
  const input = element("input", { type: "file", accept, "aria-label": `upload ${name}`, class: `act-file-${name}` });
  // choosing a file chooses the upload
  input.addEventListener("change", () => {
    const radio = controls.querySelector(`input[name=act-${name}][value=upload]`);
    if (radio) radio.checked = true;
  });
  return input;
}

const imageFile = fileInput("image", "image/png,image/jpeg");
const weightsFile = fileInput("weights", ".pt,.pth,.ckpt,.safetensors");

function build() {
  const image = choice("image", [["digit", "digit"], ["photo", "photo (a cat, CC0)"], ["upload", "upload:"]]);
  image.append(imageFile);
  const options = [["random", "random (seed 0)"]];
  if (checkpoint) options.push(["checkpoint", `the server's: ${checkpoint}`]);
  options.push(["upload", "upload:"]);
  const weights = choice("weights", options);
  weights.append(weightsFile);
  const go = element("button", { type: "submit", class: "act-run", text: "run" });
  controls.replaceChildren(image, weights, go, status);
  panel.replaceChildren(
    controls,
    element("p", { class: "act-hint", text: "Click a pixel of a conv layer's map, or a value of a linear layer (or of a conv's 1 × 1 maps), for its dot product." }),
    cellBox,
    results,
  );
}

function picked(name) {
  return controls.querySelector(`input[name=act-${name}]:checked`).value;
}

// a file as base64 (no data: prefix), refused above `limit` bytes before it is read
function base64(file, limit, what) {
  if (!file) return Promise.reject(new Error(`choose the ${what} file to upload`));
  if (file.size > limit) return Promise.reject(new Error(`the ${what} is ${(file.size / 1048576).toFixed(1)} MiB; the playground takes ${(limit / 1048576).toFixed(0)} MiB`));
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1] || "");
    reader.onerror = () => reject(new Error(`cannot read the ${what} file`));
    reader.readAsDataURL(file);
  });
}

async function fields() {
  const image = picked("image") === "upload" ? { upload: await base64(imageFile.files[0], MAX_IMAGE, "image") } : picked("image");
  const weights = picked("weights") === "upload" ? { upload: await base64(weightsFile.files[0], MAX_WEIGHTS, "weights") } : picked("weights");
  return { image, weights };
}

function say(text, bad = false) {
  status.textContent = text;
  status.classList.toggle("problem", bad);
}

async function start() {
  await ready;
  const mine = ++runs;
  cells++; // a cell still on its way belongs to the maps being replaced
  let request;
  try {
    request = await fields();
  } catch (error) {
    say(error.message, true);
    return;
  }
  say("running the network…");
  panel.classList.add("busy");
  const answer = await ask("activations", request);
  panel.classList.remove("busy");
  if (mine !== runs) return;
  cellBox.replaceChildren();
  if (!answer.layers) {
    say("");
    results.replaceChildren(element("p", { class: "problem", text: problem(answer) }));
    run = null;
    return;
  }
  run = request;
  ran = state.text;
  say(`${answer.network}, ${answer.weights} weights`);
  results.replaceChildren(inputFigure(answer.input), ...answer.layers.map(layerBox));
}

function inputFigure(input) {
  const [, , h, w] = input.shape;
  const img = element("img", { src: input.png, alt: "the input image", class: "act-map" });
  sized(img, h, w, 112);
  return element("section", { class: "act-layer act-input" },
    element("h4", { text: `input [${input.shape.join(", ")}]` }), img);
}

function sized(img, h, w, side = MAP_PX) {
  const k = side / Math.max(h, w);
  img.style.width = `${Math.round(w * k)}px`;
  img.style.height = `${Math.round(h * k)}px`;
}

function layerBox(layer) {
  const box = element("section", { class: "act-layer", "data-layer": layer.path });
  const range = layer.min === undefined ? "" : ` min ${fmt(layer.min)} max ${fmt(layer.max)}`;
  const channels = layer.maps ? ` · ${layer.maps.length} of ${layer.shape[1]} channels` : "";
  box.append(element("h4", {}, element("span", { class: "act-path", text: layer.path }),
    ` ${layer.op} [${layer.shape.join(", ")}]${range}${channels}`));
  if (layer.maps) box.append(mapsGrid(layer));
  else if (layer.top) box.append(topValues(layer));
  return box;
}

function mapsGrid(layer) {
  const [, , h, w] = layer.shape;
  const grid = element("div", { class: "act-maps" });
  layer.maps.forEach((map, c) => {
    const img = element("img", { src: map.png, alt: `${layer.path} channel ${c}`, class: "act-map", title: `channel ${c}: ${fmt(map.min)} … ${fmt(map.max)}` });
    sized(img, h, w);
    if (layer.op === "conv") {
      img.classList.add("act-clickable");
      img.addEventListener("click", (event) => {
        const row = Math.min(h - 1, Math.floor((event.offsetY / img.clientHeight) * h));
        const col = Math.min(w - 1, Math.floor((event.offsetX / img.clientWidth) * w));
        mark(img, row, col, h, w);
        explain({ layer: layer.path, channel: c, row, col }, img);
      });
    }
    const frame = element("span", { class: "act-frame" }, img);
    grid.append(element("figure", {}, frame, element("figcaption", { text: `${c}` })));
  });
  return grid;
}

// outline the chosen cell on its map (one marker on the page)
function mark(img, row, col, h, w) {
  for (const old of results.querySelectorAll(".act-mark")) old.remove();
  const box = element("span", { class: "act-mark" });
  Object.assign(box.style, { left: `${(col / w) * 100}%`, top: `${(row / h) * 100}%`, width: `${100 / w}%`, height: `${100 / h}%` });
  img.parentElement.append(box);
}

function topValues(layer) {
  const list = element("ul", { class: "act-top" });
  for (const { index, value } of layer.top) {
    const item = element("li", { text: `${index}: ${fmt(value)}` });
    if (layer.op === "linear" || layer.op === "conv") { // a conv's 1 x 1 maps: cell (c, 0, 0)
      item.classList.add("act-clickable");
      item.addEventListener("click", () => explain({ layer: layer.path, channel: index, row: 0, col: 0 }, item));
    }
    list.append(item);
  }
  const note = layer.order === "smallest" ? "smallest values (index: distance; the nearest class wins)" : "largest values (index: value)";
  return element("div", {}, element("span", { class: "act-note", text: note }), list);
}

async function explain(cell, target) {
  if (!run) return;
  for (const old of results.querySelectorAll(".act-chosen")) old.classList.remove("act-chosen");
  target.classList.add("act-chosen");
  cellBox.replaceChildren(element("p", { class: "act-note", text: `working out ${cell.layer} at channel ${cell.channel}, row ${cell.row}, col ${cell.col}…` }));
  const [mine, of] = [++cells, runs];
  const answer = await ask("activations", { ...run, cell, maps: false, text: ran });
  if (mine !== cells || of !== runs) return;
  if (!answer.cell) {
    cellBox.replaceChildren(element("p", { class: "problem", text: problem(answer) }));
    return;
  }
  cellBox.replaceChildren(dotProduct(answer.cell, answer.after));
  cellBox.scrollIntoView({ block: "nearest" });
}

function dotProduct(cell, after) {
  const where = cell.kind === "conv" ? `channel ${cell.channel}, row ${cell.row}, col ${cell.col}` : `output ${cell.channel}`;
  const box = element("div", { class: "act-dot" });
  box.append(element("h4", { text: `${cell.layer} (${cell.op}) at ${where}` }));
  if (cell.kind === "conv") box.append(convTerms(cell));
  else box.append(linearTerms(cell));
  const check = cell.agrees ? "✓ the module's own output" : `✗ the module computed ${fmt(cell.pre_activation)}`;
  const lines = [
    `Σ products = ${fmt(cell.sum)}`,
    `+ bias ${fmt(cell.bias)} = ${fmt(cell.computed)}  (pre-activation; ${check})`,
    ...after.map((a) => `→ ${a.op} (${a.path}) = ${fmt(a.value)}`),
  ];
  box.append(element("pre", { class: "act-equation", text: lines.join("\n") }));
  return box;
}

function convTerms(cell) {
  const [height, width] = cell.input_size;
  const outside = (i, j) => cell.rows[i] < 0 || cell.rows[i] >= height || cell.cols[j] < 0 || cell.cols[j] >= width;
  const wrap = element("div", { class: "act-terms" });
  const rows = `rows ${cell.rows[0]}…${cell.rows[cell.rows.length - 1]}, cols ${cell.cols[0]}…${cell.cols[cell.cols.length - 1]} of the input`;
  const count = cell.channels.length === 1 ? "1 input channel" : `${cell.channels.length} input channels`;
  wrap.append(element("p", { class: "act-note", text: `${count}; window: ${rows}; grey 0s are padding` }));
  cell.channels.slice(0, SHOWN_CHANNELS).forEach((part) => {
    wrap.append(element("div", { class: "act-term" },
      element("span", { class: "act-ch", text: `in ${part.channel}` }),
      grid(part.window, outside), element("span", { class: "act-op", text: "⊙" }),
      grid(part.kernel), element("span", { class: "act-op", text: `= ${fmt(part.sum)}` })));
  });
  const rest = cell.channels.slice(SHOWN_CHANNELS);
  if (rest.length) {
    const sum = rest.reduce((s, p) => s + p.sum, 0);
    wrap.append(element("p", { class: "act-note", text: `+ ${rest.length} more input channels (${rest[0].channel}…${rest[rest.length - 1].channel}), their products summing to ${fmt(sum)}` }));
  }
  return wrap;
}

function linearTerms(cell) {
  const n = cell.inputs.length;
  const shown = Math.min(n, 12);
  const table = element("table", { class: "act-vector" });
  table.append(element("tr", {}, element("th", { text: "i" }), element("th", { text: "input" }), element("th", { text: "weight" }), element("th", { text: "product" })));
  for (let i = 0; i < shown; i++) {
    const [x, w] = [cell.inputs[i], cell.weights[i]];
    table.append(element("tr", {}, element("td", { text: String(i) }), element("td", { text: fmt(x) }), element("td", { text: fmt(w) }), element("td", { text: fmt(x * w) })));
  }
  const more = n > shown ? element("p", { class: "act-note", text: `… and ${n - shown} more of ${n} inputs` }) : "";
  return element("div", { class: "act-terms" }, table, more);
}

function grid(values, outside = () => false) {
  const table = element("table", { class: "act-grid" });
  values.forEach((row, i) => {
    const tr = element("tr");
    row.forEach((v, j) => tr.append(element("td", { class: outside(i, j) ? "act-pad" : "", text: fmt(v) })));
    table.append(tr);
  });
  return table;
}

function fmt(v) {
  if (v === 0) return "0";
  const a = Math.abs(v);
  return a >= 1000 || a < 0.001 ? v.toExponential(2) : v.toFixed(a >= 100 ? 1 : 3);
}

controls.addEventListener("submit", (event) => {
  event.preventDefault();
  start();
});

on("report", () => {
  if (run && state.text !== ran) say("the spec changed since this run: run again", true);
});
on("tab", ({ id }) => {
  if (id === "activations-panel" && !run && !panel.classList.contains("busy")) start();
});

// the controls, once the server has said whether it has a checkpoint
const ready = (async () => {
  try {
    checkpoint = (await (await fetch("/api/initial")).json()).checkpoint || null;
  } catch {
    checkpoint = null;
  }
  build();
})();
