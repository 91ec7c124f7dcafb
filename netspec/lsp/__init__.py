"""`netspec lsp`: the language server (pygls over stdio, the `lsp` extra).

`state.py` analyses a document (the same check `netspec check` runs) into a snapshot;
`symbols.py` indexes its names (definitions and references, by scope); `hints.py`,
`hover.py` and `completion.py` answer from a snapshot; `convert.py` turns netspec's
spans and diagnostics into the protocol's; `server.py` wires them to the protocol.
Every module but `server.py` and `convert.py` is free of pygls, so it can be tested
without a client. docs/editors.md says what an editor gets.
"""
