// What the page's panels share: the spec as last checked, its report, the extra request
// fields (input shapes), the selected layer, and a few events between them.
//
// Events (`on(name, fn)`; fn gets the detail):
//   "report"  the answer to the newest check (REPORT.md's document, plus `lines`)
//   "select"  {layer, from}: a statement name or layer path was chosen (from: "table",
//             "diagram", "cursor", ...); panels show that layer
//   "load"    {text, name}: the editor's text is replaced (zoo, exercise, shared link)
//   "tab"     {id}: a panel's tab was opened
"use strict";

export const state = {
  text: "", // the spec's text as last sent to /api/check
  doc: null, // the newest check's answer
  request: {}, // fields every task gets besides `text`: input_shapes, set, network
  selected: null, // the selected statement name or layer path
};

const bus = new EventTarget();

export function on(name, fn) {
  bus.addEventListener(name, (event) => fn(event.detail));
}

export function emit(name, detail) {
  bus.dispatchEvent(new CustomEvent(name, { detail }));
}

// POST `body` as JSON to /api/<path>; the parsed JSON answer, also for an HTTP error (the
// API answers every error as REPORT.md's error document). Throws when the server is gone.
export async function post(path, body = {}) {
  const response = await fetch(`/api/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return response.json();
}

// POST /api/<task> with the spec and the shared fields (`fields` win over both)
export function ask(task, fields = {}) {
  return post(task, { text: state.text, ...state.request, ...fields });
}

export function select(layer, from) {
  state.selected = layer;
  emit("select", { layer, from });
}

// Replace the editor's text (the editor listens, and re-checks).
export function load(text, name) {
  emit("load", { text, name });
}

// Change the shared request fields (say, input_shapes) and re-check with them.
export function setRequest(fields) {
  state.request = { ...state.request, ...fields };
  emit("recheck", {});
}

// the networks a check answer reports: the whole report, or the part before an error
export function networks(doc) {
  if (!doc) return [];
  return doc.networks || (doc.partial ? doc.partial.networks : []);
}

// one error document's first diagnostic, as one line (for a panel that could not answer)
export function problem(doc) {
  const d = doc && doc.errors && doc.errors[0];
  if (!d) return "";
  return `${d.severity}[${d.code}]: ${d.message}` + (d.help && d.help.length ? ` (help: ${d.help.join("; ")})` : "");
}

export function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}
