"""What every area shares: the database and its types, domain errors, forms, views' helpers, text and
languages, exports, file storage, mail, background jobs and the role checks. Imports no area."""
