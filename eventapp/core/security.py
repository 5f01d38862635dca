"""HTTP security headers on every response."""
from flask import current_app

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def add_security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    max_age = current_app.config["HSTS_MAX_AGE"]
    if max_age > 0:
        subdomains = "; includeSubDomains" if current_app.config["HSTS_INCLUDE_SUBDOMAINS"] else ""
        headers.setdefault("Strict-Transport-Security", f"max-age={max_age}{subdomains}")
    return response
