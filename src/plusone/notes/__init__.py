"""Session notes: a short structured note per session, encrypted, signed, then only amended."""
