"""Practice outcomes: descriptive figures per therapist and for the practice, each with its count
and a confidence interval.
"""
