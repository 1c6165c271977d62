"""Handlers used only by the end-to-end tests: plain functions, like a user's."""
