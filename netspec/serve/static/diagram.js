// The diagram panel: `netspec draw`'s SVG (/api/diagram) in a viewport that pans (drag)
// and zooms (wheel at the pointer, the + / − / fit buttons). A block's ⊕ opens it one
// level (its calls or layers), ⊖ on what came out of it closes it again; the depth
// buttons open every block at once. A click on a box selects its statement, block call
// or layer (the explain API takes each); a selection made elsewhere outlines its box.
//
// It asks only while its tab is open: a report that arrives while it is hidden marks the
// diagram out of date, and opening the tab draws it. Only the newest answer is shown.
// Zoom and pan stay while the same network is redrawn; opening or closing a block keeps
// that block where it was on the screen. The viewport that pans and zooms is
// diagram_view.js.
"use strict";
import { state, on, ask, select, networks, problem, element } from "./state.js";
import { canvas, viewport, zoomTools, apply, firstView, onScreen, pin, reveal, dragged } from "./diagram_view.js";

const panel = document.getElementById("diagram-panel");
const SVG = "http://www.w3.org/2000/svg";

// what is drawn (the pan and zoom are diagram_view.js's camera); refit: fit the next view
const view = { depth: 0, open: [], network: null, refit: true };
let shown = null; // the answer drawn: {network, depth, open, max_depth, boxes}
let meta = new Map(); // box key -> its record in the answer
let latest = 0;
let outdated = true; // a report came while the tab was hidden

// ---- the panel's parts ----
const button = (text, title) => element("button", { type: "button", title, text });
const depthLess = button("−", "close every block one level");
const depthMore = button("+", "open every block one level");
const depthShown = element("span", { class: "depth", text: "depth 0" });
const closeAll = button("close all", "close the blocks you opened");
const picker = element("select", { "aria-label": "network", hidden: "" });
const toolbar = element(
  "div",
  { class: "diagram-tools" },
  element("span", { class: "group" }, depthLess, depthShown, depthMore, closeAll),
  picker,
  zoomTools,
);
const message = element("p", { class: "problem", hidden: "" });
const hint = element("p", {
  class: "diagram-hint",
  text: "drag to move · wheel to zoom · click a box to select it · ⊕ opens a block, ⊖ closes it",
});
panel.append(toolbar, message, viewport, hint);

// ---- asking and drawing ----
async function refresh(anchor = null) {
  outdated = false;
  const doc = state.doc;
  if (!doc) return;
  const mine = ++latest; // also for an error: an answer still on its way is stale
  // the check said it already (no request); the last diagram stays, greyed
  if (doc.errors) return showProblem(problem(doc) + (shown ? " (the diagram is the last one accepted)" : ""));
  const names = networks(doc).map((n) => n.name);
  if (!names.includes(view.network)) view.network = null;
  showNetworks(names);
  const fields = { depth: view.depth, open: view.open, ...(view.network ? { network: view.network } : {}) };
  let answer;
  try {
    answer = await ask("diagram", fields);
  } catch (error) {
    if (mine === latest) showProblem("the server does not answer");
    return;
  }
  if (mine !== latest) return; // a newer request is under way
  if (answer.errors) return showProblem(problem(answer));
  draw(answer, anchor);
}

function showProblem(text) {
  message.textContent = text;
  message.hidden = false;
  viewport.classList.add("stale"); // the last good diagram stays, greyed
}

function showNetworks(names) {
  picker.hidden = names.length < 2;
  if (picker.hidden) return;
  const current = Array.from(picker.options, (o) => o.value);
  if (current.join("\n") !== names.join("\n")) {
    picker.replaceChildren(...names.map((n) => element("option", { value: n, text: n })));
  }
  picker.value = view.network || names[0];
}

function draw(answer, anchor) {
  const sameNetwork = shown && shown.network === answer.network;
  shown = answer;
  view.depth = answer.depth;
  view.open = answer.open;
  meta = new Map(answer.boxes.map((b) => [b.key, b]));
  const parsed = new DOMParser().parseFromString(answer.svg, "image/svg+xml").documentElement;
  canvas.replaceChildren(document.importNode(parsed, true));
  for (const group of canvas.querySelectorAll("g.box[data-key]")) addControls(group);
  message.hidden = true;
  viewport.classList.remove("stale");
  depthShown.textContent = `depth ${answer.depth}`;
  depthLess.disabled = answer.depth === 0;
  depthMore.disabled = answer.depth >= answer.max_depth;
  closeAll.disabled = answer.open.length === 0;
  if (anchor) keep(anchor);
  else if (view.refit || !sameNetwork) view.refit = !firstView(); // again once it is seen
  apply();
  mark();
}

// ⊕ on a box that opens, ⊖ on a box that came out of a block the user opened
function addControls(group) {
  const box = meta.get(group.dataset.key);
  const rect = group.querySelector("rect");
  if (!box || !rect) return;
  const x = Number(rect.getAttribute("x"));
  const y = Number(rect.getAttribute("y"));
  const w = Number(rect.getAttribute("width"));
  // on the top border, clear of the name: in the gap the edges cross only at the middle
  if (box.expand) group.append(control(x + w - 12, y, "open", `open ${box.key}`));
  if (box.parent && view.open.includes(box.parent)) {
    group.append(control(x + 12, y, "close", `close ${box.parent}`));
  }
}

function control(cx, cy, action, title) {
  const g = document.createElementNS(SVG, "g");
  g.setAttribute("class", `toggle ${action}`);
  g.dataset.action = action;
  const tip = document.createElementNS(SVG, "title");
  tip.textContent = title;
  const circle = document.createElementNS(SVG, "circle");
  for (const [k, v] of Object.entries({ cx, cy, r: 8 })) circle.setAttribute(k, v);
  const bar = (d) => {
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("d", d);
    return path;
  };
  g.append(tip, circle, bar(`M${cx - 4},${cy} h8`));
  if (action === "open") g.append(bar(`M${cx},${cy - 4} v8`));
  return g;
}

// ---- clicks: a control opens or closes, a box selects ----
viewport.addEventListener("click", (event) => {
  if (dragged()) return;
  const group = event.target.closest("g.box[data-key]");
  const box = group && meta.get(group.dataset.key);
  if (!box) return;
  const toggle = event.target.closest("g.toggle");
  if (toggle && toggle.dataset.action === "open") {
    view.open = [...view.open, box.key];
    refresh({ key: box.key, find: (b) => b.parent === box.key, at: where(group) });
  } else if (toggle) {
    view.open = view.open.filter((k) => k !== box.parent);
    refresh({ key: box.parent, find: (b) => b.key === box.parent, at: where(group) });
  } else if (box.layers.length) {
    select(box.key, "diagram");
  }
});

// a box's top centre in the viewport's pixels, and in the SVG's units
function where(group) {
  const rect = group.querySelector("rect");
  const x = Number(rect.getAttribute("x")) + Number(rect.getAttribute("width")) / 2;
  const y = Number(rect.getAttribute("y"));
  return { x, y, ...onScreen(x, y) };
}

// after opening or closing: the block's first box where the block was
function keep(anchor) {
  const box = shown.boxes.find(anchor.find);
  const group = box && canvas.querySelector(`g.box[data-key="${CSS.escape(box.key)}"]`);
  if (!group) return;
  const now = where(group);
  pin(now.x, now.y, anchor.at.screenX, anchor.at.screenY);
}

// ---- the selection ----
function holds(box, layer) {
  if (!layer || !box.layers.length) return false;
  if (box.key === layer || box.statement === layer) return true;
  return box.layers.some((p) => p === layer || p.startsWith(layer + "."));
}

function mark(from = null) {
  let first = null;
  for (const group of canvas.querySelectorAll("g.box[data-key]")) {
    const box = meta.get(group.dataset.key);
    const on = Boolean(box) && holds(box, state.selected);
    group.classList.toggle("selected", on);
    if (on && !first) first = group;
  }
  // a box selected elsewhere and out of sight is brought to the viewport's middle
  if (first && from && from !== "diagram" && viewport.clientWidth) {
    const at = where(first);
    reveal(at.x, at.y);
  }
}

// ---- the toolbar ----
function setDepth(depth) {
  view.depth = depth;
  view.open = [];
  refresh();
}
depthLess.addEventListener("click", () => setDepth(Math.max(0, view.depth - 1)));
depthMore.addEventListener("click", () => setDepth(view.depth + 1));
closeAll.addEventListener("click", () => setDepth(view.depth));
picker.addEventListener("change", () => {
  view.network = picker.value;
  view.open = [];
  view.refit = true;
  refresh();
});

// ---- the page's events ----
const visible = () => !panel.hidden;
on("report", () => (visible() ? refresh() : (outdated = true)));
on("tab", ({ id }) => {
  if (id !== "diagram-panel") return;
  if (outdated) refresh();
  else if (view.refit && shown && firstView()) {
    view.refit = false;
    apply();
  }
});
on("select", ({ from }) => mark(from));
on("load", () => {
  Object.assign(view, { depth: 0, open: [], network: null, refit: true });
});
