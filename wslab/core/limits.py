"""Size limits shared by the config schema, the corpus handle, text features and LLM prompts."""

MAX_TEXT_CHARS = 20_000
"""Texts are featurized and prompted up to this many characters by default: the character
n-grams of one 50 MB text would otherwise take gigabytes (config key corpus.max_text_chars)."""
