// JSON requests to the gatehouse backends. Errors from the backends are
// {"error": code, "message": text}; they become ApiError with that message.

export class ApiError extends Error {
	constructor(status, code, message) {
		super(message);
		this.name = 'ApiError';
		this.status = status;
		this.code = code;
	}
}

async function
readBody(res)
{
	const text = await res.text();
	if (!text)
		return null;
	try {
		return JSON.parse(text);
	} catch {
		return null;
	}
}

/*
 * Sends a request through `fetcher` (window.fetch or an sso client's
 * authFetch) and returns the parsed JSON body, or throws ApiError.
 */
export async function
requestJson(fetcher, url, { method = 'GET', body, headers = {} } = {})
{
	const init = { method, headers: { Accept: 'application/json', ...headers } };
	if (body !== undefined) {
		init.headers['Content-Type'] = 'application/json';
		init.body = JSON.stringify(body);
	}
	let res;
	try {
		res = await fetcher(url, init);
	} catch (e) {
		if (e instanceof ApiError)
			throw e;
		throw new ApiError(0, 'network', 'The server cannot be reached. Check your connection and try again.');
	}
	const data = await readBody(res);
	if (!res.ok) {
		const code = data && typeof data.error === 'string' ? data.error : 'http_' + res.status;
		const message = data && typeof data.message === 'string' && data.message ?
		    data.message : defaultMessage(res.status);
		throw new ApiError(res.status, code, message);
	}
	return data;
}

function
defaultMessage(status)
{
	if (status === 401)
		return 'Your session has ended. Sign in again.';
	if (status === 403)
		return 'You are not allowed to do this.';
	if (status === 404)
		return 'Not found.';
	if (status === 429)
		return 'Too many requests. Wait a moment and try again.';
	return 'The server could not answer (' + status + '). Try again in a moment.';
}
