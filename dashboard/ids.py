"""Component ids, in one place (kebab-case)."""

EXPERIMENT = "experiment-picker"
OBJECTIVE = "objective-switch"
MESSAGE = "status-message"
LOSS_CURVES = "loss-curves"
ACCURACY_CURVES = "accuracy-curves"
TRADEOFF = "tradeoff-scatter"
RECOMMENDATION = "recommendation"
