"""PlusOne: outcome and process measurement for psychotherapy beyond symptom relief."""

__version__ = "0.1.0"
