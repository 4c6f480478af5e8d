"""Lossboard's web dashboard and command line."""
