"""Observers: people the client invites to say what they see change ("those around me see it").

Observers are token holders, never users. Off for a client until the therapist turns
them on after discussing it in session (DESIGN.md, Consent is data).
"""
