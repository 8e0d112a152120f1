"""Field encryption at rest: AES-256-GCM with a key ring."""
