// Unit tests of the helper SDK's logic (token keeping, refresh, retry, sign-out).
// The user pool and the HTTP server are replaced by small recording fakes here;
// the real ones are exercised by the browser tests in tests/browser/.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSsoClient, SignedOutError } from '../src/shared/sso-client.js';
import { ApiError } from '../src/shared/api.js';

function b64url(obj) {
	return Buffer.from(JSON.stringify(obj)).toString('base64url');
}
function jwt(claims) {
	return b64url({ alg: 'RS256', kid: 'k1' }) + '.' + b64url(claims) + '.c2ln';
}
function memStorage(init = {}) {
	const m = new Map(Object.entries(init));
	return {
		getItem: (k) => (m.has(k) ? m.get(k) : null),
		setItem: (k, v) => m.set(k, String(v)),
		removeItem: (k) => m.delete(k),
		map: m,
	};
}
function json(status, body) {
	return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}
/* A fetch that answers from a queue of responders and records each call. */
function fakeFetch(...responders) {
	const calls = [];
	const f = async (url, init = {}) => {
		calls.push({ url: String(url), init, auth: new Headers(init.headers || {}).get('Authorization') });
		const r = responders.shift();
		if (!r)
			throw new Error('unexpected request to ' + url);
		return r(url, init);
	};
	f.calls = calls;
	return f;
}
function fakeIdp(overrides = {}) {
	const calls = [];
	return {
		calls,
		refresh: overrides.refresh || (async (rt) => {
			calls.push(['refresh', rt]);
			return { id_token: jwt({ sub: 'u1', exp: 99999, n: calls.length }), access_token: 'acc2', expires_in: 3600 };
		}),
		globalSignOut: overrides.globalSignOut || (async (at) => { calls.push(['globalSignOut', at]); }),
		revokeToken: overrides.revokeToken || (async (rt) => { calls.push(['revokeToken', rt]); }),
	};
}

const NOW = 1_000_000_000_000; /* ms */
const config = { ssoUrl: 'http://127.0.0.1:8080/sso/', applicationId: 'marketplace', channelId: 'web' };
function location(href = 'http://127.0.0.1:8080/success?session_id=S3cr3t&x=1#top') {
	return { href, assign: vi.fn() };
}
function client(extra = {}) {
	return createSsoClient({
		config, storage: memStorage(), now: () => NOW, autoRefresh: false,
		location: location(), history: { state: null, replaceState: vi.fn() }, ...extra,
	});
}
function stored(tokens) {
	return memStorage({ 'gatehouse.tokens.marketplace': JSON.stringify(tokens) });
}
const fresh = () => ({
	id_token: jwt({ sub: 'u1', email: 'a@example.com', exp: NOW / 1000 + 3600 }),
	access_token: 'acc1', refresh_token: 'ref1', expires_at: NOW + 3600 * 1000,
});

afterEach(() => { vi.useRealTimers(); });

describe('login URLs and the session id', () => {
	it('builds the SSO URL with the application and channel', () => {
		const c = client();
		const u = new URL(c.loginUrl());
		expect(u.origin + u.pathname).toBe('http://127.0.0.1:8080/sso/');
		expect(u.searchParams.get('application_id')).toBe('marketplace');
		expect(u.searchParams.get('channel_id')).toBe('web');
	});
	it('resolves a relative ssoUrl against the page and adds the missing slash', () => {
		const c = client({ config: { ...config, ssoUrl: '/sso' }, location: location('http://h:9/orders') });
		expect(c.loginUrl()).toBe('http://h:9/sso/?application_id=marketplace&channel_id=web');
		expect(c.ssoApiUrl('get-session')).toBe('http://h:9/sso/api/get-session');
	});
	it('startLogin navigates to the SSO URL', () => {
		const loc = location('http://127.0.0.1:8080/');
		const c = client({ location: loc });
		c.startLogin();
		expect(loc.assign).toHaveBeenCalledWith(c.loginUrl());
	});
	it('takes the session id out of the address bar, keeping the rest', () => {
		const hist = { state: { k: 1 }, replaceState: vi.fn() };
		const c = client({ history: hist });
		expect(c.takeSessionId()).toBe('S3cr3t');
		expect(hist.replaceState).toHaveBeenCalledWith({ k: 1 }, '', '/success?x=1#top');
	});
	it('leaves the address alone when there is no session id', () => {
		const hist = { state: null, replaceState: vi.fn() };
		const c = client({ history: hist, location: location('http://h/success') });
		expect(c.takeSessionId()).toBeNull();
		expect(hist.replaceState).not.toHaveBeenCalled();
	});
});

describe('finishLogin', () => {
	it('redeems the session id and keeps the tokens', async () => {
		const id = jwt({ sub: 'u1', email: 'a@example.com', exp: NOW / 1000 + 600 });
		const f = fakeFetch(() => json(200, { id_token: id, access_token: 'acc', refresh_token: 'ref', expires_in: 3600 }));
		const storage = memStorage();
		const c = client({ fetch: f, storage });
		const changes = [];
		c.onChange((u) => changes.push(u && u.email));
		const claims = await c.finishLogin('S3cr3t');
		expect(claims.email).toBe('a@example.com');
		expect(f.calls[0].url).toBe('http://127.0.0.1:8080/sso/api/get-session');
		expect(f.calls[0].init.method).toBe('POST');
		expect(JSON.parse(f.calls[0].init.body)).toEqual({ session_id: 'S3cr3t', application_id: 'marketplace' });
		const kept = JSON.parse(storage.map.get('gatehouse.tokens.marketplace'));
		/* the id token's exp (600 s) is sooner than expires_in (3600 s) and wins */
		expect(kept).toEqual({ id_token: id, access_token: 'acc', refresh_token: 'ref', expires_at: NOW + 600 * 1000 });
		expect(JSON.stringify([...storage.map.values()])).not.toContain('S3cr3t');
		expect(changes).toEqual(['a@example.com']);
		expect(c.isSignedIn()).toBe(true);
	});
	it('reports the backend message and keeps nothing when the id is refused', async () => {
		const f = fakeFetch(() => json(404, { error: 'session_not_found', message: 'This sign-in link has expired.' }));
		const storage = memStorage();
		const c = client({ fetch: f, storage });
		await expect(c.finishLogin('old')).rejects.toMatchObject({ status: 404, code: 'session_not_found',
		    message: 'This sign-in link has expired.' });
		expect(storage.map.size).toBe(0);
		expect(c.isSignedIn()).toBe(false);
	});
	it('refuses an empty session id without a request', async () => {
		const f = fakeFetch();
		await expect(client({ fetch: f }).finishLogin('')).rejects.toBeInstanceOf(ApiError);
		expect(f.calls.length).toBe(0);
	});
});

describe('authFetch and refresh', () => {
	it('adds the bearer id token', async () => {
		const t = fresh();
		const f = fakeFetch(() => json(200, { ok: 1 }));
		const c = client({ fetch: f, storage: stored(t) });
		const res = await c.authFetch('/api/orders', { headers: { Accept: 'application/json' } });
		expect(res.status).toBe(200);
		expect(f.calls[0].auth).toBe('Bearer ' + t.id_token);
		expect(new Headers(f.calls[0].init.headers).get('Accept')).toBe('application/json');
	});
	it('refreshes and retries once after a 401, keeping the refresh token', async () => {
		const idp = fakeIdp();
		const f = fakeFetch(() => json(401, { error: 'unauthorized', message: 'x' }), () => json(200, {}));
		const storage = stored(fresh());
		const c = client({ fetch: f, storage, idp });
		const res = await c.authFetch('/api/orders');
		expect(res.status).toBe(200);
		expect(idp.calls).toEqual([['refresh', 'ref1']]);
		expect(f.calls.length).toBe(2);
		expect(f.calls[1].auth).toBe('Bearer ' + c.tokens().id_token);
		expect(f.calls[1].auth).not.toBe(f.calls[0].auth);
		expect(c.tokens().refresh_token).toBe('ref1');
		expect(c.tokens().access_token).toBe('acc2');
	});
	it('retries only once: a second 401 is returned', async () => {
		const idp = fakeIdp();
		const f = fakeFetch(() => json(401, {}), () => json(401, {}));
		const c = client({ fetch: f, storage: stored(fresh()), idp });
		const res = await c.authFetch('/api/orders');
		expect(res.status).toBe(401);
		expect(f.calls.length).toBe(2);
		expect(idp.calls.length).toBe(1);
	});
	it('throws SignedOutError without tokens and makes no request', async () => {
		const f = fakeFetch();
		await expect(client({ fetch: f }).authFetch('/api/orders')).rejects.toBeInstanceOf(SignedOutError);
		expect(f.calls.length).toBe(0);
	});
	it('refreshes before use when the id token is about to expire', async () => {
		const idp = fakeIdp();
		const t = { ...fresh(), expires_at: NOW + 30 * 1000 };
		const c = client({ storage: stored(t), idp, refreshMarginMs: 60000 });
		const tok = await c.getIdToken();
		expect(idp.calls).toEqual([['refresh', 'ref1']]);
		expect(tok).not.toBe(t.id_token);
	});
	it('does not refresh a token far from expiry', async () => {
		const idp = fakeIdp();
		const c = client({ storage: stored(fresh()), idp });
		expect(await c.getIdToken()).toBe(fresh().id_token);
		expect(idp.calls.length).toBe(0);
	});
	it('shares one refresh between concurrent callers', async () => {
		let release;
		const gate = new Promise((r) => { release = r; });
		let n = 0;
		const idp = fakeIdp({ refresh: async () => { n++; await gate; return { id_token: jwt({ exp: 99999999999 }), access_token: 'a' }; } });
		const c = client({ storage: stored({ ...fresh(), expires_at: NOW }), idp });
		const p = Promise.all([c.getIdToken(), c.getIdToken(), c.getIdToken()]);
		release();
		const toks = await p;
		expect(n).toBe(1);
		expect(new Set(toks).size).toBe(1);
	});
	it('forgets the tokens when the refresh token is refused', async () => {
		const e = Object.assign(new Error('Refresh Token has been revoked'), { name: 'NotAuthorizedException' });
		const storage = stored(fresh());
		const c = client({ storage, idp: fakeIdp({ refresh: async () => { throw e; } }) });
		await expect(c.refresh()).rejects.toBeInstanceOf(SignedOutError);
		expect(c.isSignedIn()).toBe(false);
		expect(storage.map.size).toBe(0);
	});
	it('keeps the tokens when the refresh fails for a network error', async () => {
		const c = client({ storage: stored(fresh()), idp: fakeIdp({ refresh: async () => { throw new TypeError('Failed to fetch'); } }) });
		await expect(c.refresh()).rejects.toBeInstanceOf(TypeError);
		expect(c.isSignedIn()).toBe(true);
	});
	it('refreshes on a timer shortly before expiry', async () => {
		vi.useFakeTimers();
		let t = NOW;
		const idp = fakeIdp();
		const c = createSsoClient({ config, storage: stored({ ...fresh(), expires_at: NOW + 120000 }), idp,
		    now: () => t, refreshMarginMs: 60000, location: location(), history: null });
		t += 59000;
		await vi.advanceTimersByTimeAsync(59000);
		expect(idp.calls.length).toBe(0);
		t += 1000;
		await vi.advanceTimersByTimeAsync(1000);
		expect(idp.calls).toEqual([['refresh', 'ref1']]);
		c.destroy();
	});
});

describe('stored tokens and sign-out', () => {
	it('ignores unreadable storage', () => {
		const c = client({ storage: memStorage({ 'gatehouse.tokens.marketplace': '{not json' }) });
		expect(c.isSignedIn()).toBe(false);
	});
	it('keeps each application under its own key', async () => {
		const storage = stored(fresh());
		const other = client({ storage, config: { ...config, applicationId: 'support' } });
		expect(other.isSignedIn()).toBe(false);
		expect(client({ storage }).claims().email).toBe('a@example.com');
	});
	it('signs out globally, then forgets the tokens', async () => {
		const idp = fakeIdp();
		const storage = stored(fresh());
		const c = client({ storage, idp });
		await c.signOut();
		expect(idp.calls).toEqual([['globalSignOut', 'acc1']]);
		expect(storage.map.size).toBe(0);
		expect(c.claims()).toBeNull();
	});
	it('revokes the refresh token when the global sign-out fails, and forgets anyway', async () => {
		const idp = fakeIdp({ globalSignOut: async () => { throw Object.assign(new Error('expired'), { name: 'NotAuthorizedException' }); } });
		const storage = stored(fresh());
		const c = client({ storage, idp });
		await c.signOut();
		expect(idp.calls).toEqual([['revokeToken', 'ref1']]);
		expect(storage.map.size).toBe(0);
	});
});
