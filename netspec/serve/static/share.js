// The share link: the spec, deflated (CompressionStream, raw deflate) and base64url'd, in
// the page address's fragment (#spec=...), which no browser sends to a server: the link
// opens the spec on the reader's own playground and nothing leaves the machine.
// `?spec=NAME` opens a zoo spec instead.
"use strict";
import { on } from "./state.js";

const status = document.getElementById("status");
// the longest spec a link may unpack to: 4 x the server's MAX_TEXT (characters), so a
// hostile link (a deflate bomb) stops early instead of filling the tab's memory
const MAX_LINK_TEXT = 4 * 200_000;

class TooLarge extends Error {}

// why the link's spec was not opened: said beside the first check's status, which would
// otherwise overwrite it at once
let unread = "";
on("report", () => {
  if (unread) status.textContent += ` · ${unread}`;
  unread = "";
});

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

// the link's text, read chunk by chunk; TooLarge past MAX_LINK_TEXT characters
export async function decode(data) {
  const stream = new Blob([unbase64url(data)]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  const parts = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return parts.join("");
    length += value.length;
    if (length > MAX_LINK_TEXT) {
      reader.cancel(); // stops the decompression too
      throw new TooLarge();
    }
    parts.push(value);
  }
}

// The spec the address names (#spec=..., or ?spec=NAME from the zoo), else null.
export async function fromLocation() {
  const fragment = new URLSearchParams(location.hash.slice(1)).get("spec");
  if (fragment) {
    try {
      return await decode(fragment);
    } catch (error) {
      unread = error instanceof TooLarge
        ? "the link's spec is too large to open (a spec takes at most 200,000 characters)"
        : "the link's spec could not be read";
      status.textContent = unread;
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
