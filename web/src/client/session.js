// The client app's signed-in state: the helper SDK, the id token's claims and
// the profile from GET /api/user/profile, whose role is authoritative.
import { computed, reactive } from 'vue';
import { requestJson } from '../shared/api.js';

export const session = reactive({
	sso: null,
	config: null,
	claims: null,
	profile: null,
	profileError: '',
	profileLoading: false,
	notice: '',
});

export const role = computed(() => {
	const r = (session.profile && session.profile.role) || (session.claims && session.claims['custom:role']);
	return typeof r === 'string' ? r : '';
});

export const displayName = computed(() => {
	const p = session.profile || {};
	const c = session.claims || {};
	return p.name || c.name || p.email || c.email || '';
});

/* GET/POST/PUT with the bearer id token; the error is an ApiError with the backend's message. */
export function
api(path, opts)
{
	return requestJson(session.sso.authFetch, path, opts);
}

export async function
loadProfile()
{
	session.profileError = '';
	if (!session.sso || !session.sso.isSignedIn()) {
		session.profile = null;
		return;
	}
	session.profileLoading = true;
	try {
		const data = await api('/api/user/profile');
		session.profile = data && typeof data.profile === 'object' && data.profile ? { ...data, ...data.profile } : data;
	} catch (e) {
		session.profileError = e.message;
	} finally {
		session.profileLoading = false;
	}
}

export function
init(sso, config)
{
	session.sso = sso;
	session.config = config;
	session.claims = sso.claims();
	sso.onChange((claims) => {
		session.claims = claims;
		if (!claims)
			session.profile = null;
	});
}

/* Which roles may open each page (the contract's matrix). */
export const ACCESS = {
	orders: ['customer', 'partner', 'admin'],
	catalog: ['customer', 'partner', 'admin'],
	profile: ['customer', 'partner', 'admin'],
	'partner-apply': ['customer', 'partner', 'admin'],
	'partner-solutions': ['partner', 'admin'],
	'admin-users': ['admin'],
	'admin-apps': ['admin'],
};

export function
may(name, r = role.value)
{
	const allowed = ACCESS[name];
	return !allowed || allowed.includes(r);
}
