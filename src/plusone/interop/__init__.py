"""Interoperability out: the FHIR R4B bundle, CSV exports per client, episode and practice, and the
de-identified research export in the `plusone analyze` schema.
"""
