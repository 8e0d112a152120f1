"""Command-line analytics over CSV files: the core's face for researchers."""
