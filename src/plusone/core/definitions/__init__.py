"""Instrument definitions: one TOML file per instrument (see plusone.core.instruments)."""
