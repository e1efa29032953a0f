"""The public REST API, ``/api/v1/``. Its OpenAPI document is committed as
``docs/openapi.json`` and the test suite checks that the two agree."""

from lianban.api.errors import install
from lianban.api.schema import LianbanApi
from lianban.applications.api import router as applications_router
from lianban.catalog.api import router as catalog_router
from lianban.integration.api import cases_router, nodes_router, oauth_router, webhooks_router
from lianban.signing.api import router as documents_router
from lianban.window.api import router as window_router
from lianban.workdays.api import router as workdays_router

api = LianbanApi(
    title="lianban 联办 API",
    version="1",
    description="一件事一次办联办平台的开放接口。错误统一返回 code、message 和带字段路径的 errors。",
    urls_namespace="api",
)
install(api)
api.add_router("/bundles", catalog_router)
api.add_router("/workdays", workdays_router)
api.add_router("/documents", documents_router)
api.add_router("/oauth", oauth_router)
api.add_router("/cases", cases_router)
api.add_router("/webhooks", webhooks_router)
api.add_router("/node", nodes_router)
api.add_router("/applications", applications_router)
api.add_router("/window", window_router)
