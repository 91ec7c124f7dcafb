"""Frontends: existing models into specs (`netspec import`).

A frontend reads a model another tool wrote (an ONNX file: ``onnx/``; a traced PyTorch
module, later) into :class:`netspec.frontends.imported.Imported`, a list of netspec
stages in topological order with their weights; ``emit`` writes that as spec text and
the weights as a `.safetensors` file named by the spec's paths.

Assumes the optional packages of the format read (onnx, numpy), imported only here.
Guarantees that nothing above ``cli/`` imports a frontend: `netspec check` never loads
onnx.
"""
