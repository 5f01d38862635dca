"""Training sessions of an event: organisers schedule them, members sign up, attendance is recorded."""
