"""The network diagram: boxes per statement or block call, data-flow edges, merges.

Assumes an Analysis. Guarantees an SVG whose boxes do not overlap and whose edges end
on box borders, laid out by its own layered layout (``graph`` -> ``order`` -> ``place``
-> ``layout`` -> ``render``), with no graphviz.
"""
