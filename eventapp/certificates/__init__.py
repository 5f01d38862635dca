"""Certificates, report cards and their public verification."""
