"""Helpers shared by the tests: real servers, CLI runs, file trees."""
