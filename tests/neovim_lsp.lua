-- Drives `netspec lsp` from Neovim's own LSP client (tests/test_neovim_lsp.py): the
-- buffer holds ResNet-50 with layer1's checkpoint a size off. It writes what it saw,
-- one line each, to $NETSPEC_OUT: the diagnostics, a hover, the inlay hints, then the
-- diagnostics after the checkpoint is mended and after another is broken, both typed
-- into the buffer (sent as incremental changes).
local out = {}
local function say(text) table.insert(out, text) end

local function diagnostics(label)
  for _, d in ipairs(vim.diagnostic.get(0)) do
    local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code)
    say(string.format("%s %d:%d %s", label, d.lnum, d.col, tostring(code)))
  end
end

local client = vim.lsp.start_client({
  name = "netspec",
  cmd = { os.getenv("NETSPEC_PYTHON"), "-m", "netspec", "lsp" },
  root_dir = vim.fn.getcwd(),
})
vim.lsp.buf_attach_client(0, client)
say("opened " .. tostring(vim.wait(30000, function() return #vim.diagnostic.get(0) > 0 end, 20)))
diagnostics("diagnostic")

local uri = vim.uri_from_bufnr(0)
local row = vim.fn.search("layer1 =", "n") - 1
local hover = vim.lsp.buf_request_sync(0, "textDocument/hover",
  { textDocument = { uri = uri }, position = { line = row, character = 4 } }, 10000)
for _, r in pairs(hover or {}) do
  if r.result then say("hover " .. vim.split(r.result.contents.value, "\n")[1]) end
end
local last = vim.api.nvim_buf_line_count(0)
local hints = vim.lsp.buf_request_sync(0, "textDocument/inlayHint", { textDocument = { uri = uri },
  range = { start = { line = 0, character = 0 }, ["end"] = { line = last, character = 0 } } }, 10000)
for _, r in pairs(hints or {}) do
  for _, h in ipairs(r.result or {}) do say(string.format("hint %d%s", h.position.line, h.label)) end
end

-- mend the checkpoint: 57 -> 56, typed where it stands
local line = vim.api.nvim_buf_get_lines(0, row, row + 1, true)[1]
local at = line:find("57%]") - 1
vim.api.nvim_buf_set_text(0, row, at, row, at + 2, { "56" })
say("mended " .. tostring(vim.wait(30000, function() return #vim.diagnostic.get(0) == 0 end, 20)))

-- break layer3's: 14, 14] -> 14, 15]
local row3 = vim.fn.search("layer3 =", "n") - 1
local line3 = vim.api.nvim_buf_get_lines(0, row3, row3 + 1, true)[1]
local at3 = line3:find("14%]") - 1
vim.api.nvim_buf_set_text(0, row3, at3, row3, at3 + 2, { "15" })
say("broken " .. tostring(vim.wait(30000, function() return #vim.diagnostic.get(0) > 0 end, 20)))
diagnostics("diagnostic")

vim.fn.writefile(out, os.getenv("NETSPEC_OUT"))
vim.lsp.stop_client(client)
vim.cmd("qa!")
