// Loads an app's runtime configuration (served by the backend, never baked
// into the build): idpEndpoint, region, userPoolId, clientId, ssoUrl,
// applicationId, channelId. When the app's own file is missing, the site's
// /config.json is used with the app's defaults on top.

const FIELDS = ['idpEndpoint', 'region', 'userPoolId', 'clientId', 'ssoUrl', 'applicationId', 'channelId'];

async function
fetchJson(fetcher, url)
{
	try {
		const res = await fetcher(url, { headers: { Accept: 'application/json' }, cache: 'no-store' });
		if (!res.ok)
			return null;
		const data = await res.json();
		return data && typeof data === 'object' && !Array.isArray(data) ? data : null;
	} catch {
		return null;
	}
}

export async function
loadConfig(url, { fallbackUrl = '/config.json', overrides = {}, fetcher = fetch } = {})
{
	let data = await fetchJson(fetcher, url);
	let fromFallback = false;
	if (!data && fallbackUrl && fallbackUrl !== url) {
		data = await fetchJson(fetcher, fallbackUrl);
		fromFallback = true;
	}
	if (!data)
		throw new Error('The configuration (' + url + ') could not be loaded.');
	const cfg = {};
	for (const f of FIELDS)
		cfg[f] = typeof data[f] === 'string' ? data[f] : '';
	if (fromFallback)
		Object.assign(cfg, overrides);
	if (!cfg.region)
		cfg.region = 'us-east-1';
	return cfg;
}
