"""Pure pandas/numpy analysis of runs and histories: no mlflow, no dash."""
