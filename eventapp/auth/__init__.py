"""Accounts, roles, sign-in and password reset."""
