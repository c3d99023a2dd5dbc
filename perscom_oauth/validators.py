"""Deprecated (0.3.0; removed in 1.0): ``OAuth2Validator``'s 0.2 path, so that
settings naming it in OAUTH2_VALIDATOR_CLASS still load. Use ``perscom_oauth.server.validator``."""

import warnings

from .server.validator import OAuth2Validator as OAuth2Validator

warnings.warn(f"{__name__} is deprecated: use perscom_oauth.server.validator", DeprecationWarning, 2)
