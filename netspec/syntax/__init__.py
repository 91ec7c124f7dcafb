"""Stage 1, text -> AST: the only package that knows Lark.

Assumes spec text in a :class:`netspec.source.Source`. Guarantees an immutable
:mod:`netspec.syntax.ast` tree whose every node carries its source span, or a
CompileError with a positioned E-syntax (or E-limit, for hostile input) diagnostic.
Modules: ``parser`` (the Lark parser and post-lexer with the hostile-input limits),
``builder`` (parse tree -> AST), ``precedence`` (operator precedence climbing),
``errors`` (Lark's errors -> diagnostics), ``ast`` (the records), ``keywords`` (the
words that start a statement; Lark-free, for elaboration's suggestions), ``incremental``
(an edited text reparsed from the body statements the edit touched: the language
server's keystrokes).
"""
