// The zoo and the exercises: the header's menu opens a bundled spec or an exercise; an
// exercise shows its task, then its hint, then its solution, each on request.
"use strict";
import { load, post, element } from "./state.js";

const menu = document.getElementById("open-spec");
const panel = document.getElementById("exercise");
let latest = 0; // menu choices made: only the newest one's spec is loaded

async function get(url) {
  return (await fetch(url)).json();
}

async function fill() {
  const [zoo, exercises] = await Promise.all([get("/api/zoo"), post("exercises")]);
  for (const s of zoo.specs || []) {
    document.getElementById("zoo-specs").append(element("option", { value: `zoo:${s.name}`, text: s.name }));
  }
  for (const e of exercises.exercises || []) {
    document.getElementById("exercise-specs").append(element("option", { value: `exercise:${e.name}`, text: e.title }));
  }
}

function showExercise(e) {
  document.getElementById("exercise-title").textContent = e.title;
  document.getElementById("exercise-task").textContent = e.task;
  document.getElementById("exercise-hint").textContent = e.hint;
  document.querySelector("#exercise-solution pre").textContent = e.solution;
  document.getElementById("exercise-hint").hidden = true;
  document.getElementById("exercise-solution").hidden = true;
  panel.dataset.name = e.name;
  panel.solution = e.solution;
  panel.hidden = false;
}

// an exercise's text, its panel shown; null for a name that is not one, or when
// `current()` says a newer choice was made while it was on its way
export async function exercise(name, current = () => true) {
  const e = await post("exercises", { name });
  if (!e.text || !current()) return null;
  showExercise(e);
  return e.text;
}

// The exercise the address names (?exercise=NAME), its panel shown; else null.
export async function fromLocation() {
  const name = new URLSearchParams(location.search).get("exercise");
  return name ? exercise(name) : null;
}

menu.addEventListener("change", async () => {
  const [kind, name] = menu.value.split(":");
  menu.value = "";
  const mine = ++latest;
  const current = () => mine === latest; // a later choice wins, whichever answer is first
  if (kind === "zoo") {
    panel.hidden = true;
    const spec = await get(`/api/zoo/${encodeURIComponent(name)}`);
    if (spec.text && current()) load(spec.text, name);
  } else if (kind === "exercise") {
    const text = await exercise(name, current);
    if (text !== null) load(text, name);
  }
});

document.getElementById("show-hint").addEventListener("click", () => {
  document.getElementById("exercise-hint").hidden = false;
});
document.getElementById("show-solution").addEventListener("click", () => {
  document.getElementById("exercise-solution").hidden = false;
});
document.getElementById("load-solution").addEventListener("click", () => {
  load(panel.solution, panel.dataset.name);
});

fill();
