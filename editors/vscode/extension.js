// netspec for VS Code: a client for the netspec language server.
//
// Assumes `netspec lsp` (pip install 'netspec[lsp]') speaks the Language Server Protocol
// over stdin/stdout, and that the executable is on PATH or named by the setting
// `netspec.path`. Guarantees one server per window, started when a .netspec file opens,
// restarted when its settings change or on "netspec: Restart Language Server", and a
// message naming the setting when the executable cannot be started. Highlighting,
// comments and brackets need no server: package.json contributes them.
"use strict";

const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

// The server's command line. No `transport`: vscode-languageclient then talks over the
// child's stdin and stdout as they are (stdio is also `netspec lsp`'s default).
function serverOptions() {
  const command = vscode.workspace.getConfiguration("netspec").get("path") || "netspec";
  return { command, args: ["lsp"] };
}

// The server reads its options once, at start: a change of a setting restarts it.
const SETTINGS = ["netspec.path", "netspec.inlayHints.parameters"];

function clientOptions() {
  const parameters = vscode.workspace.getConfiguration("netspec").get("inlayHints.parameters");
  return {
    documentSelector: [
      { scheme: "file", language: "netspec" },
      { scheme: "untitled", language: "netspec" },
    ],
    initializationOptions: { inlayParameters: Boolean(parameters) },
  };
}

async function start() {
  const options = serverOptions();
  client = new LanguageClient("netspec", "netspec language server", options, clientOptions());
  try {
    await client.start();
  } catch (err) {
    client = undefined;
    const hint = "install it with `pip install 'netspec[lsp]'` or set `netspec.path`";
    const tried = `\`${options.command} lsp\``;
    vscode.window.showErrorMessage(`netspec: could not start ${tried} (${err.message}): ${hint}.`);
  }
}

async function stop() {
  const running = client;
  client = undefined;
  if (running) await running.stop();
}

async function restart() {
  await stop();
  await start();
}

async function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand("netspec.restartServer", restart),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (SETTINGS.some((setting) => event.affectsConfiguration(setting))) restart();
    }),
  );
  await start();
}

function deactivate() {
  return stop();
}

module.exports = { activate, deactivate };
