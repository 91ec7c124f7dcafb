"""Stage 2, AST -> graph IR: names resolved, blocks and repeats expanded, shapes checked.

Assumes an AST from :mod:`netspec.syntax`. Guarantees one immutable
:class:`netspec.ir.Graph` per network, every tensor's shape inferred by the ops'
shape rules, or a CompileError holding every independent error (an error poisons only
what depends on it). Modules: ``networks`` (the entry point), ``program`` (top-level
definitions), ``network`` (one network's statements), ``stages`` (ops, merges, block
calls), ``control`` (repeat, if), ``binding`` (arguments to parameters), ``naming``
(layer paths), ``shapes`` (declared shapes, checkpoints), ``frame`` (where a body is
elaborated), ``evaluate`` (compile-time expressions).
"""
