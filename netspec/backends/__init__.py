"""Lowerings of the graph IR to other frameworks. torch and onnx are imported only here,
and only when a lowering is asked for, so `netspec check` never needs them."""
