"""Deprecated (0.3.0; removed in 1.0): ``OAuthLibCore``'s 0.2 path, so that
settings naming it in OAUTH2_BACKEND_CLASS still load. Use ``perscom_oauth.server.backend``."""

import warnings

from .server.backend import OAuthLibCore as OAuthLibCore

warnings.warn(f"{__name__} is deprecated: use perscom_oauth.server.backend", DeprecationWarning, stacklevel=2)
