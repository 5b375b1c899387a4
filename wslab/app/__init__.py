"""wslab's app: what imports the stages.

The pipeline orchestrator (:mod:`~wslab.app.pipeline`), the project it opens
(:mod:`~wslab.app.project`), suspicious-label finding that joins cleanlab and cartography
(:mod:`~wslab.app.suspicious`), the expert review loop (:mod:`~wslab.app.review_loop`), the report
(:mod:`~wslab.app.report`), quality gates, importers, the demo, and the typer commands
(:mod:`~wslab.app.cli`, :mod:`~wslab.app.commands`: a thin skin that parses, calls one function and
renders). Layers: app -> stages (labeling, quality, cartography) -> core.
"""
