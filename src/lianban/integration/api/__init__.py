"""系统接入 API for department systems: ``/api/v1/oauth/token``, ``/api/v1/cases`` and
``/api/v1/webhooks`` (mounted in :mod:`lianban.api.main`)."""

from lianban.integration.api.cases import router as cases_router
from lianban.integration.api.nodes import router as nodes_router
from lianban.integration.api.oauth import router as oauth_router
from lianban.integration.api.webhooks import router as webhooks_router

__all__ = ["cases_router", "nodes_router", "oauth_router", "webhooks_router"]
