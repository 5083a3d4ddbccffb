// The helper SDK an application uses to sign its users in through the SSO
// frontend (the seed's "helper SDK for your FE to wrap SSO flows").
//
//   const sso = createSsoClient({ config, idp });
//   sso.startLogin();                       // go to the SSO frontend
//   const id = sso.takeSessionId();         // on /success: read and remove ?session_id
//   await sso.finishLogin(id);              // redeem it: POST {sso}/api/get-session
//   const res = await sso.authFetch('/api/orders');   // Bearer id token, one retry after a refresh on 401
//   await sso.signOut();                    // GlobalSignOut (else RevokeToken), then forget the tokens
//
// Tokens are kept in sessionStorage by default: they last as long as the tab,
// are not shared with other tabs or other applications on the same origin,
// and are gone when the tab closes, which bounds what a stolen device or a
// forgotten tab exposes. A new tab signs in again through the SSO frontend,
// which needs no password while the SSO session is alive ("continue as").
// Whatever the storage, an XSS can read it: the strict CSP is the defence.
//
// The id token is refreshed (InitiateAuth REFRESH_TOKEN_AUTH through `idp`)
// `refreshMarginMs` before it expires, on a timer and on demand; the refresh
// answer carries no refresh token, so the old one is kept.

import { ApiError, requestJson } from './api.js';
import { jwtClaims } from './jwt.js';

export class SignedOutError extends ApiError {
	constructor(message = 'Sign in to continue.') {
		super(401, 'signed_out', message);
		this.name = 'SignedOutError';
	}
}

const MAX_TIMER = 0x7fffffff;

function
withSlash(u)
{
	return u.endsWith('/') ? u : u + '/';
}

export function
createSsoClient(options)
{
	const config = options.config || {};
	const idp = options.idp || null;
	const storage = options.storage !== undefined ? options.storage : globalThis.sessionStorage;
	const storageKey = options.storageKey || 'gatehouse.tokens.' + (config.applicationId || 'app');
	const fetcher = options.fetch || ((...a) => globalThis.fetch(...a));
	const now = options.now || (() => Date.now());
	const margin = options.refreshMarginMs !== undefined ? options.refreshMarginMs : 60000;
	const autoRefresh = options.autoRefresh !== undefined ? options.autoRefresh : true;
	const loc = options.location || globalThis.location;
	const hist = options.history || globalThis.history;

	let current = null;
	let refreshing = null;
	let timer = null;
	const listeners = new Set();

	function emit() {
		for (const cb of listeners) {
			try {
				cb(current ? jwtClaims(current.id_token) : null);
			} catch {
				/* a listener's failure is its own */
			}
		}
	}

	function persist() {
		if (!storage)
			return;
		try {
			if (current)
				storage.setItem(storageKey, JSON.stringify(current));
			else
				storage.removeItem(storageKey);
		} catch {
			/* storage full or forbidden: the tokens live in memory only */
		}
	}

	function schedule() {
		if (timer !== null) {
			clearTimeout(timer);
			timer = null;
		}
		if (!autoRefresh || !current || !current.refresh_token)
			return;
		const delay = Math.min(MAX_TIMER, Math.max(0, current.expires_at - margin - now()));
		timer = setTimeout(() => {
			timer = null;
			refresh().catch(() => {});
		}, delay);
	}

	function expiryOf(idToken, expiresIn) {
		const claims = jwtClaims(idToken);
		const fromClaim = claims && typeof claims.exp === 'number' ? claims.exp * 1000 : Infinity;
		const fromAnswer = typeof expiresIn === 'number' && expiresIn > 0 ? now() + expiresIn * 1000 : Infinity;
		const t = Math.min(fromClaim, fromAnswer);
		return Number.isFinite(t) ? t : now() + 3600 * 1000;
	}

	function set(tokens) {
		current = tokens;
		persist();
		schedule();
		emit();
	}

	function clear() {
		const had = current !== null;
		current = null;
		persist();
		schedule();
		if (had)
			emit();
	}

	function load() {
		if (!storage)
			return;
		try {
			const raw = storage.getItem(storageKey);
			const t = raw ? JSON.parse(raw) : null;
			if (t && typeof t.id_token === 'string' && typeof t.access_token === 'string' &&
			    typeof t.expires_at === 'number')
				current = t;
		} catch {
			current = null;
		}
		schedule();
	}

	function ssoBase() {
		return withSlash(new URL(config.ssoUrl || '/sso/', loc.href).href);
	}

	function loginUrl() {
		const u = new URL(ssoBase());
		u.searchParams.set('application_id', config.applicationId || '');
		u.searchParams.set('channel_id', config.channelId || '');
		return u.href;
	}

	function ssoApiUrl(name) {
		return new URL('api/' + name, ssoBase()).href;
	}

	/* Reads ?session_id= from the address and removes it from the address bar. */
	function takeSessionId() {
		const u = new URL(loc.href);
		const id = u.searchParams.get('session_id');
		if (id === null)
			return null;
		u.searchParams.delete('session_id');
		if (hist && hist.replaceState)
			hist.replaceState(hist.state, '', u.pathname + u.search + u.hash);
		return id;
	}

	async function finishLogin(sessionId) {
		if (!sessionId)
			throw new ApiError(400, 'missing_session', 'The sign-in link is incomplete. Sign in again.');
		const data = await requestJson(fetcher, ssoApiUrl('get-session'), {
			method: 'POST',
			body: { session_id: sessionId, application_id: config.applicationId },
		});
		if (!data || typeof data.id_token !== 'string' || typeof data.access_token !== 'string')
			throw new ApiError(502, 'bad_session', 'The sign-in service gave an unusable answer. Sign in again.');
		set({
			id_token: data.id_token,
			access_token: data.access_token,
			refresh_token: typeof data.refresh_token === 'string' ? data.refresh_token : '',
			expires_at: expiryOf(data.id_token, data.expires_in),
		});
		return jwtClaims(data.id_token);
	}

	async function doRefresh() {
		const t = current;
		if (!t || !t.refresh_token || !idp) {
			clear();
			throw new SignedOutError();
		}
		let out;
		try {
			out = await idp.refresh(t.refresh_token);
		} catch (e) {
			const name = e && e.name;
			if (name === 'NotAuthorizedException' || name === 'UserNotFoundException') {
				clear();
				throw new SignedOutError('Your session has ended. Sign in again.');
			}
			throw e;
		}
		/* Signed out (or another user signed in) while we waited: drop the answer. */
		if (current !== t)
			throw new SignedOutError();
		set({
			id_token: out.id_token,
			access_token: out.access_token,
			refresh_token: out.refresh_token || t.refresh_token,
			expires_at: expiryOf(out.id_token, out.expires_in),
		});
		return current;
	}

	/* One refresh at a time: concurrent callers share it. */
	function refresh() {
		if (!refreshing)
			refreshing = doRefresh().finally(() => { refreshing = null; });
		return refreshing;
	}

	async function getIdToken({ forceRefresh = false } = {}) {
		if (!current)
			return null;
		if (forceRefresh || now() >= current.expires_at - margin)
			await refresh();
		return current ? current.id_token : null;
	}

	function withBearer(init, token) {
		const headers = new Headers((init && init.headers) || {});
		headers.set('Authorization', 'Bearer ' + token);
		return { ...(init || {}), headers };
	}

	async function authFetch(url, init) {
		const token = await getIdToken();
		if (!token)
			throw new SignedOutError();
		const res = await fetcher(url, withBearer(init, token));
		if (res.status !== 401)
			return res;
		let again;
		try {
			again = await getIdToken({ forceRefresh: true });
		} catch {
			return res;
		}
		if (!again)
			return res;
		return fetcher(url, withBearer(init, again));
	}

	async function signOut() {
		const t = current;
		if (t && idp) {
			try {
				await idp.globalSignOut(t.access_token);
			} catch {
				if (t.refresh_token) {
					try {
						await idp.revokeToken(t.refresh_token);
					} catch {
						/* nothing more to do: forget the tokens anyway */
					}
				}
			}
		}
		clear();
	}

	function onChange(cb) {
		listeners.add(cb);
		return () => listeners.delete(cb);
	}

	function destroy() {
		if (timer !== null)
			clearTimeout(timer);
		timer = null;
		listeners.clear();
	}

	load();

	return {
		loginUrl,
		startLogin: () => loc.assign(loginUrl()),
		ssoApiUrl,
		takeSessionId,
		finishLogin,
		refresh,
		getIdToken,
		authFetch,
		signOut,
		onChange,
		destroy,
		isSignedIn: () => current !== null,
		claims: () => (current ? jwtClaims(current.id_token) : null),
		tokens: () => (current ? { ...current } : null),
		/* For the SSO frontend, which obtains tokens itself. */
		setTokens: (t) => set({
			id_token: t.id_token, access_token: t.access_token, refresh_token: t.refresh_token || '',
			expires_at: expiryOf(t.id_token, t.expires_in),
		}),
		forget: clear,
	};
}
