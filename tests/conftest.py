"""Shared pytest fixtures, one module per concern under tests/fixtures/."""

pytest_plugins = ["fixtures.servers", "fixtures.deployments"]
