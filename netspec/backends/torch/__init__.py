"""The PyTorch backend: graph IR -> ``nn.Module`` and readable Python source.

Assumes a Graph and its Analysis; never recomputes a shape. Guarantees a module whose
parameter names are the spec's layer paths. torch is imported only inside this package,
and only when one of its modules is.
"""
