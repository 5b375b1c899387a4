"""wslab.labeling: labeling-function specs, compilation to Polars, appliers, label models,
LF analysis and the end model."""
