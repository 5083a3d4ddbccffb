// State of the SSO frontend: configuration, the user pool client, the
// application being signed in to, and the SSO session.
//
// The SSO session (the tokens the pool gave this frontend) is kept in
// localStorage: it is what lets a second application, or a new tab, sign in
// without a password ("continue as"), as the pool's own hosted page does with
// a cookie. Before it is handed to an application it is always refreshed, so
// a session ended elsewhere (GlobalSignOut, password reset) is noticed.
// A password typed during sign-up is kept in memory only, to sign in right
// after the code is confirmed.

import { reactive } from 'vue';
import { ApiError, requestJson } from '../shared/api.js';
import { createSsoClient } from '../shared/sso-client.js';

/* The SSO backend lives at /sso/api/ whatever the page (contract).  */
const API = '/sso/api/';

export const state = reactive({
	config: null,
	idp: null,
	sso: null,
	applicationId: '',
	channelId: '',
	app: null,           /* {application_id, name, channel_id, return_url} from authorize */
	appError: '',
	user: null,          /* claims of the SSO session's id token */
	pendingEmail: '',
	pendingPassword: '',
	notice: '',
});

export function
init(config, idp, query)
{
	state.config = config;
	state.idp = idp;
	state.applicationId = typeof query.application_id === 'string' && query.application_id ?
	    query.application_id : config.applicationId;
	state.channelId = typeof query.channel_id === 'string' && query.channel_id ?
	    query.channel_id : config.channelId;
	state.sso = createSsoClient({
		config: { ...config, applicationId: 'sso' },
		idp,
		storage: globalThis.localStorage,
		storageKey: 'gatehouse.sso.session',
		autoRefresh: false,
	});
	state.user = state.sso.claims();
	state.sso.onChange((claims) => { state.user = claims; });
}

/* The query that keeps the application and channel across the SSO pages. */
export function
appQuery()
{
	return { application_id: state.applicationId, channel_id: state.channelId };
}

export async function
authorize()
{
	state.appError = '';
	if (!state.applicationId || !state.channelId) {
		state.appError = 'Open this page from the application you want to sign in to.';
		return;
	}
	const q = new URLSearchParams({ application_id: state.applicationId, channel_id: state.channelId });
	try {
		state.app = await requestJson(fetch, API + 'authorize?' + q.toString());
	} catch (e) {
		state.app = null;
		state.appError = e.status === 404 ?
		    'This application or channel is not registered here, so you cannot sign in to it.' : e.message;
	}
}

/* Only the registered return URL may receive the session id. */
function
sameTarget(redirect, returnUrl)
{
	try {
		const r = new URL(redirect);
		if (r.protocol !== 'https:' && r.protocol !== 'http:')
			return false;
		if (!returnUrl)
			return true;
		const base = new URL(returnUrl);
		return r.origin === base.origin && r.pathname === base.pathname;
	} catch {
		return false;
	}
}

/*
 * After a sign-in (or "continue as"): keep the SSO session, ask the backend
 * for a session id for the application, and go to its redirect URL.
 */
export async function
handOver(tokens)
{
	state.sso.setTokens(tokens);
	const bearer = (url, init) => {
		const headers = new Headers(init.headers || {});
		headers.set('Authorization', 'Bearer ' + tokens.id_token);
		return fetch(url, { ...init, headers });
	};
	const check = await requestJson(bearer, API + 'check-app-user', {
		method: 'POST', body: { application_id: state.applicationId },
	});
	if (check && check.authorized === false)
		throw new ApiError(403, 'not_enrolled', 'Your account does not have access to ' +
		    ((state.app && state.app.name) || state.applicationId) + '. Ask its administrator to add you.');
	const out = await requestJson(bearer, API + 'init-session', {
		method: 'POST',
		body: {
			application_id: state.applicationId,
			channel_id: state.channelId,
			id_token: tokens.id_token,
			access_token: tokens.access_token,
			refresh_token: tokens.refresh_token,
		},
	});
	if (!out || !sameTarget(out.redirect_url, state.app && state.app.return_url))
		throw new Error('The sign-in service answered an unexpected address; not following it.');
	state.pendingPassword = '';
	window.location.assign(out.redirect_url);
}
