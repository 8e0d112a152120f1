"""Imports in: past scores from CSV (all or nothing) and appointments from a CSV or iCalendar
export.
"""
