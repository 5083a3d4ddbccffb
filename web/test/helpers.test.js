// Unit tests of the small shared helpers: error sentences, JWT claims, config, API errors.
import { describe, expect, it } from 'vitest';
import { describeIdpError } from '../src/shared/errors.js';
import { jwtClaims } from '../src/shared/jwt.js';
import { loadConfig } from '../src/shared/config.js';
import { ApiError, requestJson } from '../src/shared/api.js';

const err = (name, message = '') => Object.assign(new Error(message), { name });

describe('describeIdpError', () => {
	const cases = [
		[err('NotAuthorizedException', 'Incorrect username or password.'), 'signin', 'password', /wrong/],
		[err('NotAuthorizedException', 'Password attempts exceeded'), 'signin', 'password', /locked/],
		[err('CodeMismatchException', 'Invalid verification code provided'), 'confirm', 'code', /not right/],
		[err('ExpiredCodeException', 'Invalid code provided, please request a code again.'), 'confirm', 'code', /expired/],
		[err('InvalidPasswordException', 'Password did not conform with policy'), 'register', 'password', /too weak/],
		[err('InvalidPasswordException', 'Password did not conform with policy'), 'reset', 'newPassword', /too weak/],
		[err('UsernameExistsException', 'User already exists'), 'register', 'email', /already exists/],
		[err('LimitExceededException', 'Attempt limit exceeded'), 'confirm', 'code', /Too many attempts/],
		[err('LimitExceededException', 'Attempt limit exceeded'), 'signin', 'form', /Too many attempts/],
		[err('TooManyRequestsException', 'Rate exceeded'), 'signin', 'form', /Too many requests/],
		[err('UserNotConfirmedException', 'User is not confirmed.'), 'signin', 'email', /not confirmed/],
		[err('InvalidParameterException', 'Invalid phone number format.'), 'register', 'phone', /\+14155550123/],
		[new TypeError('Failed to fetch'), 'signin', 'form', /cannot be reached/],
		[err('SomethingNew', 'raw internal text'), 'signin', 'form', /Something went wrong/],
	];
	for (const [e, ctx, field, re] of cases) {
		it(`${e.name}: ${e.message} (${ctx})`, () => {
			const d = describeIdpError(e, ctx);
			expect(d.field).toBe(field);
			expect(d.message).toMatch(re);
			expect(d.message).not.toContain('Exception');
		});
	}
});

describe('jwtClaims', () => {
	it('reads a base64url payload with non-ASCII text', () => {
		const p = Buffer.from(JSON.stringify({ name: 'Zoë Åsa', exp: 5 })).toString('base64url');
		expect(jwtClaims('x.' + p + '.y')).toEqual({ name: 'Zoë Åsa', exp: 5 });
	});
	it('returns null for anything else', () => {
		for (const bad of [null, 42, '', 'a.b', 'a..c', 'a.!!!.c', 'x.' + Buffer.from('[1]').toString('base64url') + '.y'])
			expect(jwtClaims(bad)).toBeNull();
	});
});

describe('loadConfig', () => {
	const served = (routes) => async (url) => {
		const r = routes[url];
		if (!r)
			return new Response('nope', { status: 404 });
		return new Response(r, { status: 200 });
	};
	it('reads the app config and keeps only known string fields', async () => {
		const cfg = await loadConfig('/sso/config.json', { fetcher: served({
			'/sso/config.json': JSON.stringify({ idpEndpoint: '/idp', clientId: 'c1', applicationId: 'marketplace', extra: 'x', region: 5 }),
		}) });
		expect(cfg).toEqual({ idpEndpoint: '/idp', region: 'us-east-1', userPoolId: '', clientId: 'c1', ssoUrl: '',
		    applicationId: 'marketplace', channelId: '' });
	});
	it('falls back to /config.json with the overrides when the app file is an HTML fallback page', async () => {
		const cfg = await loadConfig('/support/config.json', { overrides: { applicationId: 'support' }, fetcher: served({
			'/support/config.json': '<!doctype html><html></html>',
			'/config.json': JSON.stringify({ applicationId: 'marketplace', channelId: 'web', region: 'eu-west-1' }),
		}) });
		expect(cfg.applicationId).toBe('support');
		expect(cfg.channelId).toBe('web');
		expect(cfg.region).toBe('eu-west-1');
	});
	it('fails clearly when neither file is there', async () => {
		await expect(loadConfig('/sso/config.json', { fetcher: served({}) })).rejects.toThrow(/could not be loaded/);
	});
});

describe('requestJson', () => {
	it('surfaces the backend message', async () => {
		const f = async () => new Response(JSON.stringify({ error: 'forbidden', message: 'Partners only.' }), { status: 403 });
		await expect(requestJson(f, '/api/partner/solutions')).rejects.toMatchObject({ status: 403, code: 'forbidden', message: 'Partners only.' });
	});
	it('explains a non-JSON failure by its status', async () => {
		const f = async () => new Response('<html>bad gateway</html>', { status: 502 });
		await expect(requestJson(f, '/api/orders')).rejects.toMatchObject({ status: 502, message: /502/ });
	});
	it('sends a JSON body', async () => {
		let seen;
		const f = async (url, init) => { seen = init; return new Response('{"ok":true}', { status: 201 }); };
		expect(await requestJson(f, '/api/orders', { method: 'POST', body: { items: [] } })).toEqual({ ok: true });
		expect(seen.headers['Content-Type']).toBe('application/json');
		expect(seen.body).toBe('{"items":[]}');
	});
	it('turns a network failure into an ApiError', async () => {
		const f = async () => { throw new TypeError('Failed to fetch'); };
		await expect(requestJson(f, '/x')).rejects.toBeInstanceOf(ApiError);
	});
});
