"""The command line: ``netspec check | diff | schema | build | train | export | predict |
explain | draw``.

Assumes nothing outside this package imports it (``__main__`` and the console script
aside). Guarantees one module per command, imported only when that command runs, with
``DESCRIPTION``, ``add_arguments(parser)`` and ``run_command(args, overrides)``;
``main`` holds the dispatch table (name -> module and one-line help) and ``common``
what commands share (spec arguments, --set, printing errors, `error:` exits 1 and 2).
"""
