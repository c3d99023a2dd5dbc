"""DRF integration: authentication by bearer token, permissions by scope."""

from .authentication import OAuth2Authentication
from .exceptions import exception_handler
from .permissions import ScopePermissions

__all__ = ["OAuth2Authentication", "ScopePermissions", "exception_handler"]
