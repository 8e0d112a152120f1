"""Break-glass access for the practice admin, and the privacy officer's audit tools."""
