// The sizes panel: change an input's size and every figure follows (the check is re-run
// with `input_shapes`), and which sizes the network accepts (/api/sizes: `netspec sizes`,
// exact over every size); a size it names is one click from being tried.
"use strict";
import { state, on, ask, setRequest, networks, problem, element } from "./state.js";

const panel = document.getElementById("sizes-panel");
let latest = 0;
let asked = ""; // the text and shapes the shown answer is for

function open() {
  return !panel.hidden;
}

// the network whose input the panel edits: the first the check reports
function firstNetwork() {
  return networks(state.doc)[0] || null;
}

function firstInput() {
  const net = firstNetwork();
  if (!net) return null;
  const [name, dims] = Object.entries(net.inputs)[0] || [];
  return name ? { name, dims } : null;
}

// the input's shape as editable numbers (a symbolic size such as N stays as it is)
function shapeEditor(input) {
  const form = element("form", { id: "input-size", class: "input-size" });
  form.append(element("span", { text: `input ${input.name} [` }));
  input.dims.forEach((d, i) => {
    if (i) form.append(", ");
    if (typeof d === "number" && i > 0) {
      form.append(element("input", { type: "number", min: "1", max: "100000", value: String(d), "data-axis": String(i), "aria-label": `size ${i}` }));
    } else form.append(element("span", { class: "dim", text: String(d) }));
  });
  form.append("] ", element("button", { type: "submit", text: "apply" }));
  const reset = element("button", { type: "button", text: "as the spec says" });
  reset.addEventListener("click", () => setRequest({ input_shapes: {} }));
  form.append(reset);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const dims = [...input.dims];
    for (const box of form.querySelectorAll("input[data-axis]")) dims[Number(box.dataset.axis)] = Number(box.value);
    setRequest({ input_shapes: { [input.name]: dims } });
  });
  return form;
}

// try size s on every varied axis (the batch as the check shows it: N stays N)
function trySize(answer, s) {
  const input = firstInput();
  const dims = input && input.name === answer.input ? [...input.dims] : [...answer.declared];
  for (const i of answer.axis_indices) dims[i] = s;
  setRequest({ input_shapes: { [answer.input]: dims } });
}

function sizeButton(answer, s) {
  const button = element("button", { type: "button", class: "size", text: String(s) });
  button.addEventListener("click", () => trySize(answer, s));
  return button;
}

function accepted(answer) {
  const box = element("div", { id: "accepted" });
  const axes = answer.axes.length > 1 ? `${answer.axes.join(" = ")} = s` : `${answer.axes[0]} = s`;
  box.append(element("h3", { text: `sizes ${answer.network} accepts (${axes}), every s from 1 to 2^53` }));
  const count = answer.count === null ? "without end" : `${answer.count.toLocaleString("en-US")} size(s)`;
  box.append(element("p", { class: "accepted", text: `accepted: ${answer.accepted} (${count})` }));
  if (answer.smallest !== null) {
    const line = element("p", {}, "smallest: ", sizeButton(answer, answer.smallest));
    if (answer.period) line.append(`; period ${answer.period} (s mod ${answer.period} in {${answer.residues.join(", ")}})`);
    box.append(line);
  }
  if (!answer.near_accepted && answer.nearest.length) {
    const line = element("p", { class: "nearest" }, `${answer.near} is refused; nearest accepted: `);
    for (const s of answer.nearest) line.append(sizeButton(answer, s), " ");
    box.append(line);
  } else if (answer.near_accepted) {
    box.append(element("p", { text: `${answer.near} is accepted.` }));
  }
  if (!answer.exact) box.append(element("p", { class: "problem", text: `not exact: ${answer.why}` }));
  return box;
}

function refused(answer) {
  const table = element("table", { class: "refused" });
  table.append(element("tr", {}, element("th", { text: "refused sizes" }), element("th", { text: "where" }), element("th", { text: "why (at the size shown)" })));
  for (const r of answer.refused) {
    table.append(element("tr", {}, element("td", { text: r.sizes }), element("td", { text: r.reason }), element("td", { text: `at ${r.at}: ${r.message}` })));
  }
  return table;
}

const ignore = element("input", { type: "checkbox", id: "ignore-checkpoints" });
ignore.addEventListener("change", () => refresh(true));

async function refresh(force = false) {
  if (!open()) return;
  const input = firstInput();
  const key = JSON.stringify([state.text, state.request, ignore.checked]);
  if (!force && key === asked) return;
  asked = key;
  const mine = ++latest;
  const head = element("div", {}, input ? shapeEditor(input) : element("p", { text: "no input to size" }));
  const option = element("label", {}, ignore, " judge the layers alone (ignore the -> checkpoints, as the built model does)");
  const body = element("div", { id: "sizes-answer", text: "working out the accepted sizes…" });
  panel.replaceChildren(head, option, body);
  const net = firstNetwork(); // a spec of several networks: the one whose input is shown
  let answer;
  try {
    answer = await ask("sizes", { ignore_checkpoints: ignore.checked, ...(net ? { network: net.name } : {}) });
  } catch (error) {
    if (mine !== latest) return;
    asked = ""; // ask again next time
    body.replaceChildren(element("p", { class: "problem", text: "the server does not answer" }));
    return;
  }
  if (mine !== latest) return; // a newer question is under way
  if (answer.errors && !answer.network) {
    body.replaceChildren(element("p", { class: "problem", text: problem(answer) }));
    return;
  }
  body.replaceChildren(accepted(answer), refused(answer));
}

on("report", () => refresh());
on("tab", ({ id }) => {
  if (id === "sizes-panel") refresh();
});
