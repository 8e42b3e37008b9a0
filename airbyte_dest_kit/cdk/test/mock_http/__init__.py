"""``airbyte_cdk.test.mock_http``: answer a stream's HTTP requests from the test, over respx (the kit's HTTP
client is httpx; install the ``testing`` extra)::

    @HttpMocker()
    def test_reads_one_page(http_mocker):
        http_mocker.get(HttpRequest("https://api.example.com/orders", query_params={"page": "1"}),
                        HttpResponse(json.dumps({"orders": [{"id": 1}]})))
        output = read(SourceShop(), config, catalog)

A request no mock matches fails the read; a mock answered fewer times than it has responses fails the test.
"""

from airbyte_dest_kit.cdk.test.mock_http.matcher import HttpRequestMatcher
from airbyte_dest_kit.cdk.test.mock_http.mocker import HttpMocker
from airbyte_dest_kit.cdk.test.mock_http.request import HttpRequest
from airbyte_dest_kit.cdk.test.mock_http.response import HttpResponse

__all__ = ["HttpMocker", "HttpRequest", "HttpRequestMatcher", "HttpResponse"]
