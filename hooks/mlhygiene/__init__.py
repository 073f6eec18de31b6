"""mlhygiene: pre-commit hooks for machine-learning research code."""

__version__ = "0.1.0"
