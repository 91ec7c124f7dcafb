"""Pictures of convolution arithmetic: animated convolutions as Dumoulin & Visin draw
them, and a layer's receptive field over the input.

Assumes a convolution question or an Analysis. Guarantees geometry computed by a pure
module (``geometry``) tested against the size rules, drawn as SVG by hand (GIF and PNG
through Pillow, imported only when asked for).
"""
