"""wslab's core: what every stage (labeling, quality, cartography) may import.

The config schema (:mod:`~wslab.core.config`), file IO and the corpus handle (:mod:`~wslab.core.io`,
:mod:`~wslab.core.data`, :mod:`~wslab.core.frames`), run-folder checks and locks
(:mod:`~wslab.core.rundir`), artefact names and schemas (:mod:`~wslab.core.artifacts`), statistics
(:mod:`~wslab.core.stats`), the one LLM client (:mod:`~wslab.core.llm`), errors, redaction, progress
display and validation helpers. Nothing here imports a stage or the app (``tests/test_layers.py``).
"""
