// The editor: a transparent textarea over #highlight, which draws the same text with token
// colours and each diagnostic's span underlined; line numbers in #gutter; a diagnostic's
// message, help and notes in #tooltip while the pointer is over its span; the statement
// under the caret selected.
"use strict";
import { state, select } from "./state.js";

export const editor = document.getElementById("editor");
const highlight = document.getElementById("highlight");
const gutter = document.getElementById("gutter");
const tooltip = document.getElementById("tooltip");
let shown = []; // the diagnostics underlined now

// The grammar's keywords (grammars/netspec.lark's quoted words: tests/test_serve_tasks.py
// holds this list to it) and its soft keywords, which the post-lexer makes keywords only
// where a name follows them (`input image: ...`, not `output = linear(10)`).
const KEYWORDS = new Set(["and", "as", "block", "const", "defaults", "else", "false", "from",
  "if", "let", "network", "none", "not", "or", "repeat", "true"]);
const SOFT = new Set(["input", "output", "param"]);
const TOKEN = /(#[^\n]*)|("(?:[^"\\\n]|\\.)*")|(\b\d+(?:\.\d+)?(?:e[-+]?\d+)?\b)|([A-Za-z_]\w*)/g;

function keyword(word, text, end) {
  return KEYWORDS.has(word) || (SOFT.has(word) && /^[ \t]+[A-Za-z_]/.test(text.slice(end, end + 64)));
}

function tokenClasses(text) {
  const classes = new Array(text.length).fill("");
  for (const m of text.matchAll(TOKEN)) {
    const end = m.index + m[0].length;
    const cls = m[1] ? "com" : m[2] ? "str" : m[3] ? "num" : keyword(m[4], text, end) ? "kw" : "";
    for (let i = m.index; i < m.index + m[0].length; i++) classes[i] = cls;
  }
  return classes;
}

const TAB = 4; // the CSS's tab-size: a tab reaches the next multiple of 4 on screen

// the offset in the text (UTF-16 units, as JS strings count) of (line, column), both from
// 1 as diagnostics give them; a diagnostic's column counts code points (Python's), so an
// emoji earlier on the line is one column but two units
function offset(lines, line, column) {
  let at = 0;
  for (let i = 0; i < line - 1 && i < lines.length; i++) at += lines[i].length + 1;
  let counted = 0;
  for (const ch of lines[line - 1] || "") {
    if (counted === column - 1) return at;
    at += ch.length;
    counted++;
  }
  return at + (column - 1 - counted); // past the line's end (its newline, say)
}

function span(lines, d) {
  const start = offset(lines, d.line, d.column);
  const end = d.end_line ? offset(lines, d.end_line, d.end_column) : start + 1;
  return [start, Math.max(end, start + 1)];
}

function marks(text, diagnostics) {
  const marked = new Array(text.length).fill("");
  const lines = text.split("\n");
  for (const d of diagnostics) {
    if (!d.line) continue;
    const [start, end] = span(lines, d);
    for (let i = start; i < end && i < text.length; i++) marked[i] = d.severity;
  }
  return marked;
}

function escaped(s) {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

// Draw the text with its colours and the diagnostics' underlines, and its line numbers.
export function paint(diagnostics) {
  shown = diagnostics.filter((d) => d.line);
  const text = editor.value;
  const classes = tokenClasses(text);
  const marked = marks(text, shown);
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
  highlight.innerHTML = html + "\n";
  const count = text.split("\n").length;
  const bad = new Set(shown.map((d) => d.line));
  let numbers = "";
  for (let n = 1; n <= count; n++) numbers += bad.has(n) ? `<b>${n}</b>\n` : `${n}\n`;
  gutter.innerHTML = numbers;
  follow();
}

function follow() {
  highlight.scrollTop = gutter.scrollTop = editor.scrollTop;
  highlight.scrollLeft = editor.scrollLeft;
}
editor.addEventListener("scroll", follow);

// ---- hover: the diagnostic under the pointer ----
function metrics() {
  const style = getComputedStyle(editor);
  const probe = document.createElement("span");
  probe.textContent = "0".repeat(10);
  probe.style.font = style.font;
  probe.style.visibility = "hidden";
  probe.style.position = "absolute";
  document.body.append(probe);
  const width = probe.getBoundingClientRect().width / 10;
  probe.remove();
  return { width, height: parseFloat(style.lineHeight), pad: parseFloat(style.paddingLeft) };
}

// the column (code points, from 1, as diagnostics count) of the character drawn at
// screen column `visual` (from 0) of `text`: a tab is drawn up to TAB wide
function columnAt(text, visual) {
  let x = 0;
  let column = 1;
  for (const ch of text) {
    x += ch === "\t" ? TAB - (x % TAB) : 1;
    if (visual < x) return column;
    column++;
  }
  return column + (visual - x);
}

// (line, column) under a pointer event, both from 1
function position(event) {
  const m = metrics();
  const box = editor.getBoundingClientRect();
  const line = Math.floor((event.clientY - box.top - m.pad + editor.scrollTop) / m.height) + 1;
  const visual = Math.floor((event.clientX - box.left - m.pad + editor.scrollLeft) / m.width);
  return [line, columnAt(editor.value.split("\n")[line - 1] || "", visual)];
}

function covers(d, line, column) {
  const endLine = d.end_line || d.line;
  const endColumn = d.end_line ? d.end_column : d.column + 1;
  if (line < d.line || line > endLine) return false;
  if (line === d.line && column < d.column) return false;
  return !(line === endLine && column >= Math.max(endColumn, d.column + 1));
}

export function describe(d) {
  const lines = [`${d.severity}[${d.code}]: ${d.message}`];
  for (const h of d.help || []) lines.push(`help: ${h}`);
  for (const n of d.notes || []) lines.push(`note: ${n}`);
  return lines.join("\n");
}

editor.addEventListener("mousemove", (event) => {
  const [line, column] = position(event);
  const d = shown.find((x) => covers(x, line, column));
  if (!d) {
    tooltip.hidden = true;
    return;
  }
  tooltip.textContent = describe(d);
  tooltip.className = d.severity;
  tooltip.style.left = `${event.pageX + 12}px`;
  tooltip.style.top = `${event.pageY + 16}px`;
  tooltip.hidden = false;
});
editor.addEventListener("mouseleave", () => (tooltip.hidden = true));

// ---- the statement under the caret ----
function caretLine() {
  return editor.value.slice(0, editor.selectionStart).split("\n").length;
}

export function selectAtCaret() {
  const lines = (state.doc && state.doc.lines) || {};
  const line = caretLine();
  for (const statements of Object.values(lines)) {
    for (const [name, [first, last]] of Object.entries(statements)) {
      if (first <= line && line <= last) {
        if (state.selected !== name) select(name, "cursor");
        return;
      }
    }
  }
}
editor.addEventListener("click", selectAtCaret);
editor.addEventListener("keyup", (event) => {
  if (event.key.startsWith("Arrow") || event.key === "Home" || event.key === "End") selectAtCaret();
});
