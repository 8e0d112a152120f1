"""Staff accounts: users, practices and memberships with roles."""
