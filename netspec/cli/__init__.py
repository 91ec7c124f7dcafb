"""The command line: ``netspec check | diff | schema | build | train | export | predict |
explain | draw``.

``main`` holds the dispatch table; each command is one module imported only when it
runs; ``common`` holds what commands share (printing errors, --set, misuse exits).
Nothing outside this package imports it (``__main__`` and the console script aside).
"""
