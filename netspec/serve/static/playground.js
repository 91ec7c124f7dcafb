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
  status.textContent = doc.errors ? `${doc.errors.length} error(s)` : "ok";
  if (edited) window.netspecLatencies.push(performance.now() - edited);
  edited = 0;
}

editor.addEventListener("input", () => {
  edited = performance.now();
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
