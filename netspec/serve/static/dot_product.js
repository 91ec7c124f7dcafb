// One output cell's dot product, as the activations panel shows it: per input channel
// the window ⊙ the kernel and its sum (a linear layer: inputs, weights, products), then
// the sum, the bias, the pre-activation checked against the module's own output, and
// the layers after it. Numbers from /api/activations' `cell` (netspec/serve/dot_product.py).
"use strict";
import { element } from "./state.js";

const SHOWN_CHANNELS = 8; // input channels of a dot product shown in full

export function dotProduct(cell, after) {
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

export function fmt(v) {
  if (v === 0) return "0";
  const a = Math.abs(v);
  return a >= 1000 || a < 0.001 ? v.toExponential(2) : v.toFixed(a >= 100 ? 1 : 3);
}
