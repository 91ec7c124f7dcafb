"""Words of the language that modules outside the parser need, without loading Lark.

Assumes nothing (a leaf module: no imports). Guarantees the tuple of words that start
a statement, in the order "did you mean" lists them; the grammar in
``grammars/netspec.lark`` defines the same words.
"""

# Words that start a statement: "did you mean" candidates for an unknown op name.
STATEMENT_KEYWORDS = ("let", "repeat", "if", "from", "input", "output", "param")
