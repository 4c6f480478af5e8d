"""Real training runs for the demo and tests: small models on data shipped with scikit-learn."""
