"""perscom-oauth: an OAuth 2.0 authorization server for multi-tenant Django dashboards."""

# The one place the version is written: pyproject.toml reads it ([tool.setuptools.dynamic]).
# Keep this module import-light (no Django import): building and `perscom_oauth.__version__`
# must work without Django settings, or Django.
__version__ = "0.2.0"
