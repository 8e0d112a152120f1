"""Measures: check-ins, administrations and their scoring through plusone.core."""
