"""Whether Django's cache answers: logged once when it stops, once when it is back.

A cache outage costs two things and nothing else (SECURITY.md): token checks go to the
database (``token_cache``), and the brute-force throttle is off (``throttle``). Only these
log lines depend on the per-process flag.
"""

from __future__ import annotations

import logging

logger = logging.getLogger("perscom_oauth.cache")


class CacheHealth:
    down = False

    @classmethod
    def failed(cls) -> None:
        if not cls.down:
            logger.warning(
                "perscom_oauth: cache unreachable; token checks use the database and brute-force "
                "throttling is off",
                exc_info=True,
            )
        cls.down = True

    @classmethod
    def worked(cls) -> None:
        if cls.down:
            logger.warning("perscom_oauth: cache reachable again")
        cls.down = False
