"""Deprecated (0.3.0; removed in 1.0): ``DatabaseOutageMiddleware``'s 0.2 path, so that
settings naming it in MIDDLEWARE still load. Use ``perscom_oauth.http.outage``."""

import warnings

from .http.outage import DatabaseOutageMiddleware as DatabaseOutageMiddleware

warnings.warn(f"{__name__} is deprecated: use perscom_oauth.http.outage", DeprecationWarning, stacklevel=2)
