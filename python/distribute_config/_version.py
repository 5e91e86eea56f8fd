"""The package version, in one place for pyproject and the generated file header."""

__version__ = "0.1.0"
