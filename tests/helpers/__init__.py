"""Helpers shared by the tests (conditions to run under, like lightning-hydra-template's)."""
