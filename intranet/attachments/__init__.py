"""Files attached to meetings, agenda items and minutes: stored by random id, served only after the access check."""
