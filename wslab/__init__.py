"""wslab: weak supervision lab.

Turns a large unlabeled text corpus and a small expert golden set into trustworthy
training labels, and says which labels to send back to an expert.
"""

from wslab.errors import BudgetExceeded, ConfigError, InputError, WslabError

__version__ = "0.1.0"

__all__ = ["WslabError", "InputError", "ConfigError", "BudgetExceeded", "__version__"]
