"""Each op's explanation: the steps behind every figure, with the numbers put in.

One module per op family, mirroring netspec/ops/ one to one (`explain/pool.py` explains
the ops of `ops/pool.py`), each op class naming its function in one line (`explain =
explain_pool`); `steps.py` holds the data types and the sections many ops share, and
`window.py` the sliding-window steps of convolutions and pools.

Assumes an op's bound attributes, its input shapes and its output shape. Guarantees, for
every op in the registry, six sections (shape, params, connections, macs, flops and the
receptive-field window) whose results equal the op's own rules.
"""
