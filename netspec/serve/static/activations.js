// The activations panel: run the spec's network (PyTorch, on the server) on an image
// (a bundled digit or photo, or an uploaded PNG/JPEG) with random, the server's, or
// uploaded weights; show each layer's feature maps; a click on a pixel of a convolution's
// map (or on a value of a linear layer, or of a conv's 1 x 1 maps) shows that cell's dot
// product with its numbers.
// POST /api/activations (netspec/serve/activations.py).
"use strict";
import { state, on, post, problem, element } from "./state.js";
import { dotProduct, fmt } from "./dot_product.js";

const panel = document.getElementById("activations-panel");
const MAX_IMAGE = 2 * 1024 * 1024; // bytes: the server's limit too
const MAX_WEIGHTS = 11 * 1024 * 1024; // bytes: as base64 it stays under the 16 MiB body limit
const MAP_PX = 64; // CSS pixels of a map's longer side (drawn pixelated)

let checkpoint = null; // the server's checkpoint's name, if it has one
let run = null; // the whole request of the shown maps (spec, sizes, image, weights): a
// click asks for the same run, whatever the sizes tab or the editor changed since
let ran = ""; // the spec and shared fields the shown maps are for, as JSON
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
  const sent = { text: state.text, ...state.request }; // as the editor and sizes tab say now
  let answer;
  try {
    answer = await post("activations", { ...sent, ...request });
  } catch (error) {
    if (mine === runs) say("the server does not answer", true);
    return;
  } finally {
    panel.classList.remove("busy");
  }
  if (mine !== runs) return;
  cellBox.replaceChildren();
  if (!answer.layers) {
    say("");
    results.replaceChildren(element("p", { class: "problem", text: problem(answer) }));
    run = null;
    return;
  }
  run = { ...sent, ...request };
  ran = JSON.stringify(sent);
  say(`${answer.network}, ${answer.weights} weights`);
  results.replaceChildren(inputFigure(answer.input), ...answer.layers.map(layerBox));
}

// the spec and the shared fields (input shapes, ...) a request would send now
function current() {
  return JSON.stringify({ text: state.text, ...state.request });
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
  let answer;
  try {
    answer = await post("activations", { ...run, cell, maps: false });
  } catch (error) {
    if (mine === cells && of === runs) cellBox.replaceChildren(element("p", { class: "problem", text: "the server does not answer" }));
    return;
  }
  if (mine !== cells || of !== runs) return;
  if (!answer.cell) {
    cellBox.replaceChildren(element("p", { class: "problem", text: problem(answer) }));
    return;
  }
  cellBox.replaceChildren(dotProduct(answer.cell, answer.after));
  cellBox.scrollIntoView({ block: "nearest" });
}

controls.addEventListener("submit", (event) => {
  event.preventDefault();
  start();
});

on("report", () => {
  if (run && current() !== ran) say("the spec or its sizes changed since this run: run again", true);
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
