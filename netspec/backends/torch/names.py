"""What the PyTorch source writer must know about torch without importing it.

:data:`MODULE_ATTRIBUTES` are the names an `nn.Module` already uses (methods and
instance attributes of torch 2.x; a test checks the list against the installed torch):
a spec name among them cannot be a submodule. :func:`unusable` says why a path
segment cannot be a submodule attribute, :func:`name_span` where that name is written.
:func:`runtime_source` copies classes and functions of
:mod:`netspec.backends.torch.runtime` into a generated file, with whatever they use,
read from the module's source text so that no torch is imported.

Assumes nothing of torch. Guarantees that every name :func:`unusable` lets through can
be assigned as `self.<name>` in a generated class and read back as the same submodule.
"""

from __future__ import annotations

import ast
import keyword
import re
from functools import cache
from pathlib import Path

from netspec.source import Span

MODULE_ATTRIBUTES = frozenset(
    """
    T_destination add_module apply bfloat16 buffers call_super_init children compile cpu
    cuda double dump_patches eval extra_repr float forward get_buffer get_extra_state
    get_parameter get_submodule half ipu load_state_dict modules mtia named_buffers
    named_children named_modules named_parameters parameters register_backward_hook
    register_buffer register_forward_hook register_forward_pre_hook
    register_full_backward_hook register_full_backward_pre_hook
    register_load_state_dict_post_hook register_load_state_dict_pre_hook register_module
    register_parameter register_state_dict_post_hook register_state_dict_pre_hook
    requires_grad_ set_extra_state set_submodule share_memory state_dict to to_empty train
    type xpu zero_grad training
    _apply _call_impl _compiled_call_impl _get_backward_hooks _get_backward_pre_hooks
    _get_name _load_from_state_dict _maybe_warn_non_full_backward_hook _named_members
    _register_load_state_dict_pre_hook _register_state_dict_hook
    _replicate_for_data_parallel _save_to_state_dict _slow_forward _version
    _wrapped_call_impl _parameters _buffers _non_persistent_buffers_set _backward_pre_hooks
    _backward_hooks _is_full_backward_hook _forward_hooks _forward_hooks_with_kwargs
    _forward_hooks_always_called _forward_pre_hooks _forward_pre_hooks_with_kwargs
    _state_dict_hooks _state_dict_pre_hooks _load_state_dict_pre_hooks
    _load_state_dict_post_hooks _modules
    """.split()  # noqa: SIM905 (a word list reads better than 90 quoted strings)
)

_RUNTIME = Path(__file__).with_name("runtime")
# the runtime's files, in the order a generated file holds them (the merges subclass
# Scope); netspec/backends/torch/runtime/__init__.py lists the same
_RUNTIME_FILES = ("containers.py", "classic.py", "modern.py", "recurrent.py", "sequence.py")


def unusable(segment: str) -> str | None:
    """Why `segment` of a path cannot be a submodule attribute (`self.<segment>`) of a
    generated class, or None when it can. Digits are fine: they are indexed, `[0]`."""
    if segment.isdigit():
        return None
    if not segment.isidentifier() or keyword.iskeyword(segment) or segment in MODULE_ATTRIBUTES:
        return "is a Python keyword or an attribute of nn.Module"
    if segment.startswith("__"):
        # `self.__class__` is the class itself (0 parameters registered, silently), and
        # `self.__x` is renamed `_Net__x` inside a class, so its keys would not be paths
        return "starts with two underscores, which Python reserves or mangles in a class"
    return None


def name_span(span: Span, name: str) -> Span:
    """Where `name =` was last written before `span` (a layer or call of the statement
    `name` opens a scope for); `span` itself where it was not (a block's name in a chain,
    written as the call at `span`)."""
    pattern = re.compile(rf"(?<![\w.]){re.escape(name)}\s*=(?!=)")
    for number in range(span.line, 0, -1):
        text = span.source.line(number)
        found = list(pattern.finditer(text[: span.column - 1] if number == span.line else text))
        if found:
            column = found[-1].start() + 1
            return Span(span.source, number, column, number, column + len(name))
    return span


@cache
def _definitions() -> dict[str, tuple[str, frozenset[str]]]:
    """Top-level name -> (source text, the other top-level names it uses), over the
    runtime's files in order."""
    found = []
    for file in _RUNTIME_FILES:
        text = (_RUNTIME / file).read_text(encoding="utf-8")
        tree = ast.parse(text)
        defs = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)]
        found += [(d, text) for d in defs]
    names = {d.name for d, _ in found}
    result = {}
    for d, text in found:
        used = {n.id for n in ast.walk(d) if isinstance(n, ast.Name)} & names - {d.name}
        result[d.name] = (ast.get_source_segment(text, d), frozenset(used))
    return result


RUNTIME_NAMES = frozenset(_definitions())


def runtime_source(names: list[str]) -> str:
    """The definitions of `names` and of everything they use, in the module's order."""
    defs = _definitions()
    wanted: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name not in wanted:
            wanted.add(name)
            todo += defs[name][1]
    return "\n\n\n".join(source for name, (source, _) in defs.items() if name in wanted)
