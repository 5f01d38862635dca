"""Teams, their members and invitations, and their progress maps with attachments and revisions."""
