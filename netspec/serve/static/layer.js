// The layer panel: the selected layer (a table row, a diagram box, the statement under the
// caret) with its `netspec explain` steps, numbers put in (/api/explain), the animation
// of its sliding window and its receptive field on the input (/api/figure, drawn by
// animation.js). It follows edits: each new report asks again for the same layer, and
// only the answers to the newest question are shown (a late, older answer is dropped).
// A click in the table or the diagram opens the layer tab; a caret move does not.
"use strict";
import { state, on, ask, element, problem } from "./state.js";
import { animation, fieldFigure } from "./animation.js";

const panel = document.getElementById("layer-panel");
const OPENS_TAB = new Set(["table"]); // a diagram click keeps the diagram in view
let asked = 0; // the newest question's number
let shown = ""; // what the panel shows: the layer, the spec and the request it was asked with
let current = null; // the animation on show, stopped before it is replaced
let chosen = null; // {of, layer, options}: the windowed layer picked among a statement's

function hint() {
  panel.replaceChildren(
    element("p", {
      class: "layer-hint",
      text: "Click a row of the table or a box of the diagram, or put the cursor on a statement, to see its layer here.",
    }),
  );
}
hint();

on("select", ({ layer, from }) => {
  if (OPENS_TAB.has(from) && panel.hidden) {
    document.querySelector('#tabs button[data-tab="layer-panel"]').click();
  }
  refresh();
});
// while typing, ask once the edits pause: the workers are the table's first
let later = null;
on("report", (doc) => {
  clearTimeout(later);
  if (!doc.errors) later = setTimeout(refresh, 200); // a mistake keeps the layer as shown
});
on("tab", ({ id }) => id === "layer-panel" && refresh());
on("load", () => {
  stop();
  shown = "";
  hint();
});

function stop() {
  if (current) current.stop();
  current = null;
}

async function refresh() {
  const layer = state.selected;
  if (panel.hidden || !layer) return;
  const figureLayer = chosen && chosen.of === layer ? chosen.layer : layer;
  const key = JSON.stringify([layer, figureLayer, state.text, state.request]);
  if (key === shown) return;
  shown = key;
  const mine = ++asked;
  panel.classList.add("busy");
  let explained, figure;
  try {
    [explained, figure] = await Promise.all([ask("explain", { layer }), ask("figure", { layer: figureLayer })]);
  } catch (error) {
    if (mine === asked) show([element("p", { class: "problem", text: "the server does not answer" })]);
    shown = "";
    return;
  }
  if (mine !== asked) return; // a newer question is under way
  panel.classList.remove("busy");
  if (figure.errors && figureLayer !== layer) {
    chosen = null; // the layer picked to animate is gone (an edit): back to the statement's
    shown = "";
    return refresh();
  }
  if (explained.errors || figure.errors) {
    show([element("h2", { class: "layer-title", text: layer }), element("p", { class: "problem", text: problem(explained.errors ? explained : figure) })]);
    return;
  }
  const keep = current && panel.dataset.figure === figure.layer ? current.frame() : 0;
  show([title(layer, figure), ...picture(layer, figure, keep), explanation(explained, figure.layer)]);
  panel.dataset.layer = layer;
  panel.dataset.figure = figure.layer;
}

function show(children) {
  stop();
  panel.classList.remove("busy");
  panel.replaceChildren(...children);
}

function title(layer, figure) {
  const heading = element("h2", { class: "layer-title" }, element("span", { text: layer }));
  if (figure.layer !== layer) heading.append(element("span", { class: "layer-path", text: ` · window of ${figure.layer}` }));
  heading.append(element("span", { class: "layer-op", text: ` ${figure.description}` }));
  return heading;
}

// the animation (or why there is none) and the receptive field
function picture(layer, figure, frame) {
  const parts = [];
  // a statement's windowed layers, kept while one of them is shown
  const windowed = chosen && chosen.of === layer ? chosen.options : [figure.layer, ...figure.others];
  if (windowed.length > 1 && figure.window) {
    const pick = element("select", { class: "layer-window", "aria-label": "the layer to animate" });
    for (const path of windowed) pick.append(element("option", { value: path, text: path }));
    pick.value = figure.layer;
    pick.addEventListener("change", () => {
      chosen = { of: layer, layer: pick.value, options: windowed };
      refresh();
    });
    parts.push(element("label", { class: "layer-pick" }, "animate ", pick));
  }
  if (figure.window) {
    current = animation(figure.window, figure.field, frame);
    parts.push(current.element);
    return parts;
  }
  parts.push(element("p", { class: "layer-why", text: figure.why }));
  if (figure.field) parts.push(element("div", { class: "anim-grids" }, fieldFigure(figure.field).element));
  else if (figure.field_why) parts.push(element("p", { class: "layer-why", text: figure.field_why }));
  return parts;
}

// every layer's `netspec explain` sections: a table of steps each, formulas with numbers
function explanation(explained, figureLayer) {
  const box = element("div", { class: "layer-explain" });
  const layers = explained.layers;
  for (const l of layers) {
    const details = element("details", { "data-path": l.path });
    if (layers.length <= 3 || l.path === figureLayer) details.open = true;
    details.append(element("summary", {}, element("b", { text: l.path }), ` ${l.description}`));
    for (const section of l.sections) {
      details.append(element("h3", { text: section.title }));
      if (section.rule) details.append(element("p", { class: "rule", text: section.rule }));
      const rows = section.steps.map((s) =>
        element(
          "tr",
          {},
          element("th", { text: s.label }),
          element("td", { class: "formula", text: s.formula ? `${s.formula} =` : "" }),
          element("td", { class: "result", text: s.result }),
          element("td", { class: "note", text: s.note }),
        ),
      );
      details.append(element("table", { class: "steps" }, element("tbody", {}, ...rows)));
    }
    box.append(details);
  }
  return box;
}
