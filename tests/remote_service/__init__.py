"""A separate Django service (its own settings, database and process) whose API accepts an
organization's access tokens by introspection: tests/test_remote_resource_server.py runs it."""
