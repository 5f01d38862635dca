"""Pages that combine areas: the team dashboard, the judge dashboard and the event page with the visitor's team.

The one place allowed to call several areas' services for one page; it holds no rules of its own."""
