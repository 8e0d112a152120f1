"""The demo practice: ``plusone demo`` loads it, ``scripts/run-demo`` serves it."""
