"""The series, its events, their phases and deadlines; provinces and counties."""
