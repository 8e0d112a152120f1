"""Consent directives (the PHIPA "lockbox"): what a client withholds, and from whom."""
