// The diagram's viewport (diagram.js draws into it): the SVG in `canvas`, moved and scaled
// by a CSS transform; it pans (drag, arrow keys) and zooms (wheel at the pointer, the
// + / − / fit buttons in `zoomTools`, the + − 0 keys).
//
// Assumes: the SVG drawn into `canvas` has width and height attributes (its units).
// Guarantees: `camera` {scale, x, y} is what is seen (SVG point p is on screen at
// camera.x + p.x * camera.scale); every change goes through apply(); a drag that moved
// is not taken for a click (dragged()).
"use strict";
import { element } from "./state.js";

const MIN_SCALE = 0.05;
const MAX_SCALE = 4;
const READABLE = 0.7; // the smallest scale a big diagram's first view shrinks it to

export const camera = { scale: 1, x: 0, y: 0 };
export const canvas = element("div", { class: "diagram-canvas" });
export const viewport = element("div", { class: "diagram-view", tabindex: "0" }, canvas);

const button = (text, title) => element("button", { type: "button", title, text });
const zoomOut = button("−", "zoom out");
const zoomIn = button("+", "zoom in");
const fitAll = button("fit", "the whole diagram");
export const zoomTools = element("span", { class: "group zoom" }, zoomOut, zoomIn, fitAll);

export function apply() {
  canvas.style.transform = `translate(${camera.x}px, ${camera.y}px) scale(${camera.scale})`;
}

function size() {
  const svg = canvas.querySelector("svg");
  return svg ? [Number(svg.getAttribute("width")), Number(svg.getAttribute("height"))] : [1, 1];
}

// the whole diagram where it is readable, else its top at the viewport's width (no
// smaller than READABLE: a phone sees the middle, and pans); false while the panel is
// hidden (it has no size to fit)
export function firstView() {
  const [w, h] = size();
  if (!viewport.clientWidth) return false;
  const whole = Math.min(viewport.clientWidth / w, viewport.clientHeight / h, 1);
  camera.scale = whole >= 0.6 ? whole : Math.max(READABLE, Math.min(1, viewport.clientWidth / w));
  camera.x = (viewport.clientWidth - w * camera.scale) / 2;
  camera.y = whole >= 0.6 ? (viewport.clientHeight - h * camera.scale) / 2 : 0;
  return true;
}

function fit() {
  const [w, h] = size();
  camera.scale = Math.max(MIN_SCALE, Math.min(viewport.clientWidth / w, viewport.clientHeight / h, MAX_SCALE));
  camera.x = (viewport.clientWidth - w * camera.scale) / 2;
  camera.y = (viewport.clientHeight - h * camera.scale) / 2;
  apply();
}

function zoomAt(factor, px, py) {
  const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, camera.scale * factor));
  camera.x = px - ((px - camera.x) * scale) / camera.scale;
  camera.y = py - ((py - camera.y) * scale) / camera.scale;
  camera.scale = scale;
  apply();
}

// SVG point (x, y) in the viewport's pixels
export function onScreen(x, y) {
  return { screenX: camera.x + x * camera.scale, screenY: camera.y + y * camera.scale };
}

// move so that SVG point (x, y) is at the viewport's pixel (screenX, screenY)
export function pin(x, y, screenX, screenY) {
  camera.x = screenX - x * camera.scale;
  camera.y = screenY - y * camera.scale;
}

// SVG point (x, y), when out of sight, is brought to the viewport's middle (a third down)
export function reveal(x, y) {
  const { screenX, screenY } = onScreen(x, y);
  const inside = (v, n) => v >= 0 && v <= n;
  if (inside(screenX, viewport.clientWidth) && inside(screenY, viewport.clientHeight)) return;
  pin(x, y, viewport.clientWidth / 2, viewport.clientHeight / 3);
  apply();
}

const middle = () => [viewport.clientWidth / 2, viewport.clientHeight / 2];
zoomIn.addEventListener("click", () => zoomAt(1.25, ...middle()));
zoomOut.addEventListener("click", () => zoomAt(0.8, ...middle()));
fitAll.addEventListener("click", fit);

viewport.addEventListener(
  "wheel",
  (event) => {
    event.preventDefault();
    const lines = event.deltaMode === 1 ? 16 : event.deltaMode === 2 ? 400 : 1;
    const r = viewport.getBoundingClientRect();
    zoomAt(Math.exp(-event.deltaY * lines * 0.0015), event.clientX - r.left, event.clientY - r.top);
  },
  { passive: false },
);

// the viewport hides its overflow, yet focus and scrollIntoView still scroll it: that
// scroll becomes a pan, so the transform alone says what is seen
viewport.addEventListener("scroll", () => {
  camera.x -= viewport.scrollLeft;
  camera.y -= viewport.scrollTop;
  viewport.scrollTo(0, 0);
  apply();
});

let drag = null; // {x, y, startX, startY, moved}
export const dragged = () => Boolean(drag && drag.moved);
viewport.addEventListener("pointerdown", (event) => {
  if (event.button !== 0) return;
  drag = { x: event.clientX, y: event.clientY, startX: camera.x, startY: camera.y, moved: false };
});
viewport.addEventListener("pointermove", (event) => {
  if (!drag) return;
  const dx = event.clientX - drag.x;
  const dy = event.clientY - drag.y;
  if (!drag.moved && Math.hypot(dx, dy) < 4) return; // a click that shook a little
  if (!drag.moved) viewport.setPointerCapture(event.pointerId);
  drag.moved = true;
  viewport.classList.add("dragging");
  camera.x = drag.startX + dx;
  camera.y = drag.startY + dy;
  apply();
});
const endDrag = () => {
  viewport.classList.remove("dragging");
  setTimeout(() => (drag = null)); // after the click that ends the drag has looked
};
viewport.addEventListener("pointerup", endDrag);
viewport.addEventListener("pointercancel", endDrag);

// keys, for a keyboard: + and − zoom, 0 fits, the arrows move
const KEYS = { "+": [1.25], "=": [1.25], "-": [0.8], ArrowLeft: [1, 60, 0], ArrowRight: [1, -60, 0],
  ArrowUp: [1, 0, 60], ArrowDown: [1, 0, -60] };
viewport.addEventListener("keydown", (event) => {
  if (event.key === "0") return fit();
  const [factor, dx = 0, dy = 0] = KEYS[event.key] || [];
  if (!factor) return;
  event.preventDefault();
  camera.x += dx;
  camera.y += dy;
  zoomAt(factor, ...middle());
});
