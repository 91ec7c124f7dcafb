// The share link: the spec, deflated (CompressionStream, raw deflate) and base64url'd, in
// the page address's fragment (#spec=...), which no browser sends to a server: the link
// opens the spec on the reader's own playground and nothing leaves the machine.
// `?spec=NAME` opens a zoo spec instead.
"use strict";

const status = document.getElementById("status");

function base64url(bytes) {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function unbase64url(text) {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

async function through(stream, bytes) {
  const out = new Response(new Blob([bytes]).stream().pipeThrough(stream));
  return new Uint8Array(await out.arrayBuffer());
}

export async function encode(text) {
  const packed = await through(new CompressionStream("deflate-raw"), new TextEncoder().encode(text));
  return base64url(packed);
}

export async function decode(data) {
  const bytes = await through(new DecompressionStream("deflate-raw"), unbase64url(data));
  return new TextDecoder().decode(bytes);
}

// The spec the address names (#spec=..., or ?spec=NAME from the zoo), else null.
export async function fromLocation() {
  const fragment = new URLSearchParams(location.hash.slice(1)).get("spec");
  if (fragment) {
    try {
      return await decode(fragment);
    } catch (error) {
      status.textContent = "the link's spec could not be read";
    }
  }
  const name = new URLSearchParams(location.search).get("spec");
  if (name) {
    const zoo = await (await fetch(`/api/zoo/${encodeURIComponent(name)}`)).json();
    if (zoo.text) return zoo.text;
  }
  return null;
}

document.getElementById("share").addEventListener("click", async () => {
  const data = await encode(document.getElementById("editor").value); // as typed now
  history.replaceState(null, "", `${location.pathname}#spec=${data}`);
  try {
    await navigator.clipboard.writeText(location.href);
    status.textContent = "link copied: it carries the spec";
  } catch (error) {
    status.textContent = "the address now carries the spec: copy it to share";
  }
});
