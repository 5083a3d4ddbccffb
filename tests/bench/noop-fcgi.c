/*
 * noop-fcgi.c: the benchmark's baseline, a FastCGI responder that does
 * nothing: every request gets 200 and "{}".  tests/bench/run.sh serves it in
 * place of a real program under the same lighttpd settings, so the ratio of
 * a route's requests/s to this one's is what the route itself costs.
 * Built with libfcgi's FCGX interface, like the library's accept loop.
 */
#include <fcgiapp.h>

int
main(void)
{
	FCGX_Request	 req;
	static const char resp[] =
	    "Status: 200 OK\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: 2\r\n"
	    "Cache-Control: no-store\r\n"
	    "\r\n"
	    "{}";

	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&req) >= 0) {
		FCGX_PutStr(resp, sizeof(resp) - 1, req.out);
		FCGX_Finish_r(&req);
	}
	return 0;
}
