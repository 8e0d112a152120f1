"""The client's rights under PHIPA: access requests (ss.52-54) and corrections (s.55)."""
