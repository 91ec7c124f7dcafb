"""Each op's explanation: the steps behind every figure, with the numbers put in.

Assumes an op's bound attributes, its input shapes and its output shape. Guarantees, for
every op in the registry, six sections (shape, params, connections, macs, flops and the
receptive-field window) whose results equal the op's own rules.
"""
