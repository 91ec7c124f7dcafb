// The playground page: re-checks the spec as it is typed (debounced), and shows only the
// answer to the newest request (an older answer that arrives late is dropped).
"use strict";
const editor = document.getElementById("editor");
const status = document.getElementById("status");
let latest = 0;
let timer = null;
let edited = 0; // when the newest edit was typed (performance.now())
// keystroke to updated table, in ms, one entry per answer shown (the benchmark reads it)
window.netspecLatencies = [];

function cell(text, numeric) {
  const td = document.createElement("td");
  td.textContent = text;
  if (numeric) td.className = "num";
  return td;
}

// per axis, one number where every axis has it: `5 /1 p0`, else `5x3 /1 p0` (as the table)
function axes(values) {
  return values.every((v) => v === values[0]) ? String(values[0]) : values.join("x");
}

function field(rf) {
  if (!rf) return "-";
  return `${axes(rf.size)} /${axes(rf.stride)} p${axes(rf.padding)}`;
}

function shape(dims) {
  return `[${dims.join(", ")}]`;
}

function showReport(doc) {
  const body = document.querySelector("#report tbody");
  body.replaceChildren();
  const networks = doc.networks || (doc.partial ? doc.partial.networks : []);
  for (const net of networks) {
    for (const s of net.statements) {
      const row = document.createElement("tr");
      row.append(cell(s.name), cell(s.description), cell(shape(s.output_shape)),
                 cell(Number(s.params).toLocaleString(), true),
                 cell(Number(s.macs).toLocaleString(), true));
      const last = net.layers.filter((l) => l.statement === s.name).pop();
      row.append(cell(field(last && last.receptive_field), true));
      body.append(row);
    }
    const t = net.totals;
    document.getElementById("totals").textContent =
      `${net.name}: ${Number(t.params).toLocaleString()} parameters, ` +
      `${Number(t.macs).toLocaleString()} multiply-adds`;
  }
}

// ---- the text under the editor: token colours and each diagnostic's span underlined ----
const KEYWORDS = new Set(["network", "block", "repeat", "if", "else", "let", "from", "const",
  "defaults", "input", "output", "param", "as", "in", "true", "false", "none"]);
const TOKEN = /(#[^\n]*)|("(?:[^"\\\n]|\\.)*")|(\b\d+(?:\.\d+)?(?:e[-+]?\d+)?\b)|([A-Za-z_]\w*)/g;

function tokenClasses(text) {
  const classes = new Array(text.length).fill("");
  for (const m of text.matchAll(TOKEN)) {
    const cls = m[1] ? "com" : m[2] ? "str" : m[3] ? "num" : KEYWORDS.has(m[4]) ? "kw" : "";
    for (let i = m.index; i < m.index + m[0].length; i++) classes[i] = cls;
  }
  return classes;
}

function offset(lines, line, column) {
  let at = 0;
  for (let i = 0; i < line - 1 && i < lines.length; i++) at += lines[i].length + 1;
  return at + column - 1;
}

function marks(text, diagnostics) {
  const marked = new Array(text.length).fill("");
  const lines = text.split("\n");
  for (const d of diagnostics) {
    if (!d.line) continue;
    const start = offset(lines, d.line, d.column);
    const end = d.end_line ? offset(lines, d.end_line, d.end_column) : start + 1;
    for (let i = start; i < Math.max(end, start + 1) && i < text.length; i++) marked[i] = d.severity;
  }
  return marked;
}

function escaped(s) {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function paint(diagnostics) {
  const text = editor.value;
  const classes = tokenClasses(text);
  const marked = marks(text, diagnostics);
  let html = "";
  let i = 0;
  while (i < text.length) {
    let j = i + 1;
    while (j < text.length && classes[j] === classes[i] && marked[j] === marked[i]) j++;
    let piece = escaped(text.slice(i, j));
    if (classes[i]) piece = `<span class="${classes[i]}">${piece}</span>`;
    if (marked[i]) piece = `<mark class="${marked[i]}">${piece}</mark>`;
    html += piece;
    i = j;
  }
  document.getElementById("highlight").innerHTML = html + "\n";
}

editor.addEventListener("scroll", () => {
  const under = document.getElementById("highlight");
  under.scrollTop = editor.scrollTop;
  under.scrollLeft = editor.scrollLeft;
});

function showDiagnostics(list) {
  const ul = document.getElementById("diagnostics");
  ul.replaceChildren();
  for (const d of list) {
    const li = document.createElement("li");
    li.className = d.severity;
    const where = d.line ? `${d.line}:${d.column}: ` : "";
    li.textContent = `${where}${d.severity}[${d.code}]: ${d.message}` +
      (d.help.length ? ` (help: ${d.help.join("; ")})` : "");
    ul.append(li);
  }
}

async function recheck() {
  const mine = ++latest;
  status.textContent = "checking…";
  const response = await fetch("/api/check", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ text: editor.value }),
  });
  const doc = await response.json();
  if (mine !== latest) return; // a newer request is under way: this answer is stale
  showReport(doc);
  showDiagnostics(doc.errors || doc.warnings || []);
  paint(doc.errors || doc.warnings || []);
  status.textContent = doc.errors ? `${doc.errors.length} error(s)` : "ok";
  if (edited) window.netspecLatencies.push(performance.now() - edited);
  edited = 0;
}

editor.addEventListener("input", () => {
  edited = performance.now();
  paint([]); // the new text at once; its underlines come with the answer
  clearTimeout(timer);
  timer = setTimeout(recheck, 60);
});

(async () => {
  const opening = await (await fetch("/api/initial")).json();
  const name = new URLSearchParams(location.search).get("spec");
  if (opening.text !== null && !name) {
    editor.value = opening.text;
  } else {
    const zoo = encodeURIComponent(name || opening.name);
    editor.value = (await (await fetch(`/api/zoo/${zoo}`)).json()).text || "";
  }
  recheck();
})();
