"""Encrypted, consistent backups (``plusone backup``) and checked restores (``plusone restore``).

A backup is one age-encrypted tar holding ``manifest.json`` and the database
dump (docs/backup.md). The server holds only the recipient (public key); the
identity that decrypts lives off the server.
"""
