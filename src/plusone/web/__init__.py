"""Web foundations: route registry, base template, health endpoints."""
