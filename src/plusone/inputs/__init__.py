"""Parsing of untrusted input, shared by the web forms and the analytics commands.

No Django here: the analytics commands run without it, and the boundary test
keeps it out.
"""
