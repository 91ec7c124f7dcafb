"""Teaching: `netspec explain` (each figure with the numbers put in, the convolution
calculator) and `netspec draw` (convolution pictures, receptive fields, network diagrams).

Assumes Analyses from :mod:`netspec.analysis` and convolution questions
(``question``). Guarantees numbers that equal the analysis's own (``explain/``),
pictures whose geometry is tested against the size rules (``figures/``) and diagrams
laid out without overlaps (``diagram/``). Nothing here imports torch or onnx; SVG is
written by hand (``svg``), GIF and PNG go through Pillow, imported only when asked for.
"""
