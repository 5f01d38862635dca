"""The partners' JSON API under /api/v1/, and the organisers' page that issues its tokens.

Two blueprints: ``api`` answers JSON to bearer tokens and is exempt from CSRF (it never reads the session
cookie); ``api_admin`` is an ordinary HTML page for organisers, CSRF-protected like every other form.
"""
