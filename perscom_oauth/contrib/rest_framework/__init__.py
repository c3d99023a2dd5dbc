from .authentication import OAuth2Authentication

__all__ = ["OAuth2Authentication"]
