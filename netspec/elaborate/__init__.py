"""Stage 2, AST -> graph IR: names resolved, blocks and repeats expanded, shapes checked.

Assumes an AST from :mod:`netspec.syntax` (never the parser: nothing here loads Lark).
Guarantees one immutable :class:`netspec.ir.Graph` per network, every tensor's shape
inferred by the ops' shape rules, or a CompileError holding every independent error
(an error poisons only what depends on it). Modules: ``networks`` (the entry point),
``program`` (top-level definitions), ``network`` (one network: state in, Graph out),
``state`` (the shared state of one network's elaboration, passed explicitly),
``statements`` (a body's statements), ``stages`` (ops, merges), ``outputs`` (an
op's several outputs, a learned tensor's layer), ``blocks`` (block
calls), ``control`` (repeat, if), ``copies`` (what a repeat's copies report),
``estimate`` (a lower bound of a block call's layers, for the layer limit), ``layout``
(W-indent: a chain continued on an indented line),
``binding`` (arguments to parameters), ``naming`` (layer paths), ``shapes`` (declared
shapes, checkpoints), ``frame`` (where a body is elaborated), ``evaluate``
(compile-time expressions), ``operators`` (what operators do to their values).
"""
