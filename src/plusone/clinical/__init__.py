"""Clinical records: clients, episodes, goals, sessions, plans, flags, decisions, consents."""
