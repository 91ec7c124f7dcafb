// The playground page: re-checks the spec as it is typed (debounced) and shows only the
// answer to the newest request (an older answer that arrives late is dropped): the
// report's table (a row opens into its layers), the totals, the diagnostics. The panels
// (layer, diagram, sizes, activations) and the zoo, exercises and share link are modules
// of their own that listen to state.js's events.
"use strict";
import { state, on, emit, select, networks, element } from "./state.js";
import { editor, paint, selectAtCaret, describe } from "./editor.js";
import "./library.js";
import "./share.js";
import "./layer.js";
import "./diagram.js";
import "./sizes.js";
import "./activations.js";

const status = document.getElementById("status");
let latest = 0;
let timer = null;
let edited = 0; // when the newest edit was typed (performance.now())
// keystroke to updated table, in ms, one entry per answer shown (the benchmark reads it)
window.netspecLatencies = [];

const number = (n) => Number(n).toLocaleString("en-US");
// per axis, one number where every axis has it: `5 /1 p0`, else `5x3 /1 p0` (as the table)
const axes = (values) => (values.every((v) => v === values[0]) ? String(values[0]) : values.join("x"));
const field = (rf) => (rf ? `${axes(rf.size)} /${axes(rf.stride)} p${axes(rf.padding)}` : "-");
const shape = (dims) => `[${dims.join(", ")}]`;

function bytes(n) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = Number(n);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit ? `${value.toPrecision(3)} ${units[unit]}` : `${value} B`;
}

function cells(row, item, total) {
  const share = total ? `${((100 * Number(item.macs)) / total).toFixed(1)}%` : "-";
  for (const [text, numeric] of [
    [shape(item.output_shape), false],
    [number(item.params), true],
    [number(item.macs), true],
    [share, true],
    [field(item.receptive_field), true],
    [bytes(item.activation_bytes), true],
  ]) row.append(element("td", { class: numeric ? "num" : "", text }));
}

// the failing statement's row, as `netspec check` prints it: marked, with no figures
function failedRow(s) {
  const row = element("tr", { class: "statement failed", "data-layer": s.name });
  row.append(element("td", {}, element("span", { class: "name", text: s.name })));
  row.append(element("td", { colspan: "7", text: "✗ not accepted: see the error" }));
  return row;
}

const opened = new Set(); // statements whose layers are shown: kept across edits

// a statement's row; its layers' rows are made when it is first opened (a keystroke
// redraws the table, and most rows stay closed)
function statementRow(net, s, failed, layers) {
  if (failed.has(`${net.name}.${s.name}`)) return [failedRow(s)];
  const last = layers[layers.length - 1];
  const row = element("tr", { class: "statement", "data-layer": s.name });
  const toggle = element("button", { class: "toggle", type: "button", title: "its layers", text: "▸" });
  const name = element("td", {}, layers.length > 1 ? toggle : "", element("span", { class: "name", text: s.name }));
  row.append(name, element("td", { text: s.description }));
  cells(row, { ...s, receptive_field: last && last.receptive_field }, Number(net.totals.macs));
  let children = null;
  const show = (open) => {
    toggle.textContent = open ? "▾" : "▸";
    if (open && children === null) {
      children = layers.map((l) => layerRow(net, l));
      row.after(...children);
    }
    for (const child of children || []) child.hidden = !open;
  };
  toggle.addEventListener("click", (event) => {
    event.stopPropagation();
    const open = toggle.textContent === "▸";
    if (open) opened.add(s.name);
    else opened.delete(s.name);
    show(open);
  });
  if (layers.length > 1 && opened.has(s.name)) queueMicrotask(() => show(true)); // once in the table
  return [row];
}

function byStatement(net) {
  const groups = new Map();
  for (const l of net.layers) {
    if (!groups.has(l.statement)) groups.set(l.statement, []);
    groups.get(l.statement).push(l);
  }
  return groups;
}

function layerRow(net, l) {
  const row = element("tr", { class: "layer", "data-layer": l.path, hidden: "" });
  row.append(element("td", { text: l.path }), element("td", { text: l.description }));
  cells(row, l, Number(net.totals.macs));
  return row;
}

function showReport(doc) {
  const body = document.querySelector("#report tbody");
  body.replaceChildren();
  const totals = [];
  const failed = new Set(((doc.partial || {}).failed || []).map((f) => `${f.network}.${f.statement}`));
  for (const net of networks(doc)) {
    if (networks(doc).length > 1) {
      body.append(element("tr", { class: "network" }, element("th", { colspan: "8", text: net.name })));
    }
    const groups = byStatement(net);
    for (const s of net.statements) body.append(...statementRow(net, s, failed, groups.get(s.name) || []));
    const t = net.totals;
    const inputs = Object.entries(net.inputs).map(([name, dims]) => `${name} ${shape(dims)}`).join(", ");
    totals.push(
      `${net.name}: ${number(t.params)} parameters, ${number(t.macs)} multiply-adds, ` +
        `${number(t.connections)} connections; input ${inputs}`,
    );
  }
  document.getElementById("totals").textContent = totals.join("\n");
  markSelected();
}

function markSelected() {
  for (const row of document.querySelectorAll("#report tbody tr[data-layer]")) {
    row.classList.toggle("selected", row.dataset.layer === state.selected);
  }
}

document.querySelector("#report tbody").addEventListener("click", (event) => {
  const row = event.target.closest("tr[data-layer]");
  if (row) select(row.dataset.layer, "table");
});
on("select", markSelected);

function showDiagnostics(doc) {
  const ul = document.getElementById("diagnostics");
  ul.replaceChildren();
  const warnings = document.getElementById("warnings");
  warnings.replaceChildren();
  for (const d of doc.errors || []) {
    const where = d.line ? `${d.line}:${d.column}: ` : "";
    ul.append(element("li", { class: d.severity, text: where + describe(d).replace(/\n/g, " · ") }));
  }
  for (const d of doc.warnings || []) {
    const where = d.line ? `${d.line}:${d.column}: ` : "";
    warnings.append(element("li", { class: d.severity, text: where + describe(d).replace(/\n/g, " · ") }));
  }
}

async function recheck() {
  const mine = ++latest;
  state.text = editor.value;
  status.textContent = "checking…";
  let doc;
  try {
    const response = await fetch("/api/check", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: state.text, ...state.request }),
    });
    doc = await response.json();
  } catch (error) {
    if (mine === latest) status.textContent = "the server does not answer";
    return;
  }
  if (mine !== latest) return; // a newer request is under way: this answer is stale
  state.doc = doc;
  showReport(doc);
  showDiagnostics(doc);
  paint([...(doc.errors || []), ...(doc.warnings || [])]);
  status.textContent = doc.errors ? `${doc.errors.length} error(s)` : "ok";
  if (edited) window.netspecLatencies.push(performance.now() - edited);
  edited = 0;
  emit("report", doc);
}

editor.addEventListener("input", () => {
  edited = performance.now();
  latest++; // an answer still on its way is for older text: its offsets no longer fit
  paint([]); // the new text at once; its underlines come with the answer
  clearTimeout(timer);
  timer = setTimeout(recheck, 60);
});

on("load", ({ text }) => {
  editor.value = text;
  state.request = {}; // another spec: its inputs as it declares them
  editor.scrollTop = 0;
  paint([]);
  state.selected = null;
  recheck();
});
on("recheck", recheck);

// ---- tabs ----
const tabs = document.getElementById("tabs");
export function openTab(id) {
  for (const button of tabs.querySelectorAll("button")) {
    const on = button.dataset.tab === id;
    button.setAttribute("aria-selected", String(on));
    document.getElementById(button.dataset.tab).hidden = !on;
  }
  emit("tab", { id });
}
tabs.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-tab]");
  if (button) openTab(button.dataset.tab);
});

// the first check also selects the statement under the caret, once there is a report
on("report", () => {
  if (state.selected === null && document.activeElement === editor) selectAtCaret();
});

// what the page opens with: a shared link's spec, an exercise, a zoo spec, the server's
async function opening() {
  for (const module of ["./share.js", "./library.js"]) {
    const text = await (await import(module)).fromLocation();
    if (text !== null) return text;
  }
  const initial = await (await fetch("/api/initial")).json();
  if (initial.text !== null) return initial.text;
  const zoo = await (await fetch(`/api/zoo/${encodeURIComponent(initial.name)}`)).json();
  return zoo.text || "";
}

(async () => {
  editor.value = await opening();
  paint([]);
  recheck();
})();
