"""The ONNX backend: graph IR -> ``ModelProto`` with standard operators only.

Assumes a Graph and its Analysis; never recomputes a shape and never imports the torch
backend. Guarantees a model that passes ``onnx.checker`` and strict shape inference,
with node names from the spec's layer paths and initializers named as the PyTorch
backend's state_dict keys. onnx is imported only inside this package.
"""
