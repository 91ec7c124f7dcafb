"""The package's version, in one place (pyproject.toml reads it from here).

A leaf module: anything may import it without importing the package facade.
"""

__version__ = "0.1.0"
