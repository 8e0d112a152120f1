"""What reads across the record to help the therapist decide: decisions, the caseload
dashboard, the journey and the before-session card, and the staff home page."""
