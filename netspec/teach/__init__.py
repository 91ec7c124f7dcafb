"""Teaching tools: `netspec explain` (formulas with the numbers put in) and `netspec draw`
(pictures of convolution arithmetic, networks and receptive fields).

Nothing here imports torch or onnx; the pictures are SVG written by hand, and GIF or PNG
through Pillow (the `images` extra), imported only when asked for.
"""
