"""The client's own place (/me/): sign-in, their journey, goals, decisions and who sees them."""
