"""Explanations rendered for people: each layer's figures step by step, and the
convolution-arithmetic calculator.

Assumes an Analysis (for a spec's layers) or a convolution question. Guarantees that
every number shown equals the analysis's own figure (``network`` checks each section
against it) and that the calculator's answer is PyTorch's size rule.
"""
