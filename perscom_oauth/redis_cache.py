"""Deprecated (0.3.0; removed in 1.0): ``RedisCache``'s 0.2 path, so that
settings naming it in a cache BACKEND still load. Use ``perscom_oauth.cache.backend``."""

import warnings

from .cache.backend import RedisCache as RedisCache

warnings.warn(f"{__name__} is deprecated: use perscom_oauth.cache.backend", DeprecationWarning, stacklevel=2)
