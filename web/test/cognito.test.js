// The user-pool adapter (src/shared/cognito.js) with AWS's real SDK, against a
// loopback HTTP server that records what the SDK sends and answers in
// Cognito's JSON 1.1 shapes: checks the wire requests the frontends make.
import http from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createIdp } from '../src/shared/cognito.js';

let server;
let endpoint;
const seen = [];
let answers = [];

beforeAll(async () => {
	server = http.createServer((req, res) => {
		let body = '';
		req.on('data', (c) => { body += c; });
		req.on('end', () => {
			seen.push({ path: req.url, target: req.headers['x-amz-target'], type: req.headers['content-type'],
			    auth: req.headers.authorization, body: JSON.parse(body || '{}') });
			const [status, json, headers] = answers.shift() || [200, {}];
			res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1', ...(headers || {}) });
			res.end(JSON.stringify(json));
		});
	});
	await new Promise((r) => server.listen(0, '127.0.0.1', r));
	endpoint = `http://127.0.0.1:${server.address().port}/idp`;
});
afterAll(() => new Promise((r) => server.close(r)));
beforeEach(() => { seen.length = 0; answers = []; });

const idp = () => createIdp({ idpEndpoint: endpoint, region: 'us-east-1', clientId: 'client-1' });
const result = (extra = {}) => [200, { ChallengeParameters: {}, AuthenticationResult: {
	IdToken: 'id.t.s', AccessToken: 'acc.t.s', ExpiresIn: 3600, TokenType: 'Bearer', ...extra } }];
const fail = (type, message, status = 400) => [status, { __type: type, message }, { 'x-amzn-ErrorType': type }];

describe('cognito adapter on the wire', () => {
	it('signs in with USER_PASSWORD_AUTH, unsigned, at the configured endpoint', async () => {
		answers.push(result({ RefreshToken: 'r1' }));
		const t = await idp().signIn('a@example.com', 'pw 123456');
		expect(t).toEqual({ id_token: 'id.t.s', access_token: 'acc.t.s', refresh_token: 'r1', expires_in: 3600 });
		/* AWS's SDK adds the slash: the pool must answer POST /idp/ (the contract has both) */
		expect(seen[0].path).toBe('/idp/');
		expect(seen[0].target).toBe('AWSCognitoIdentityProviderService.InitiateAuth');
		expect(seen[0].type).toBe('application/x-amz-json-1.1');
		expect(seen[0].auth).toBeUndefined();
		expect(seen[0].body).toEqual({ ClientId: 'client-1', AuthFlow: 'USER_PASSWORD_AUTH',
		    AuthParameters: { USERNAME: 'a@example.com', PASSWORD: 'pw 123456' } });
	});
	it('refreshes with REFRESH_TOKEN_AUTH and keeps the refresh token the answer lacks', async () => {
		answers.push(result());
		const t = await idp().refresh('r1');
		expect(seen[0].body.AuthFlow).toBe('REFRESH_TOKEN_AUTH');
		expect(seen[0].body.AuthParameters).toEqual({ REFRESH_TOKEN: 'r1' });
		expect(t.refresh_token).toBe('r1');
	});
	it('signs up with the seed\'s attributes and the application in ClientMetadata', async () => {
		answers.push([200, { UserConfirmed: false, UserSub: 'u' }], [200, {}]);
		await idp().signUp({ email: 'a@example.com', password: 'pw', name: 'A', phone: '+14155550123',
		    role: 'partner', company: 'ACME', applicationId: 'marketplace' });
		await idp().confirmSignUp('a@example.com', '123456', 'marketplace');
		expect(seen[0].target).toBe('AWSCognitoIdentityProviderService.SignUp');
		expect(seen[0].body.Username).toBe('a@example.com');
		expect(seen[0].body.UserAttributes).toEqual([
			{ Name: 'email', Value: 'a@example.com' }, { Name: 'name', Value: 'A' },
			{ Name: 'custom:role', Value: 'partner' }, { Name: 'custom:company', Value: 'ACME' },
			{ Name: 'phone_number', Value: '+14155550123' }]);
		expect(seen[0].body.ClientMetadata).toEqual({ application_id: 'marketplace' });
		expect(seen[1].target).toBe('AWSCognitoIdentityProviderService.ConfirmSignUp');
		expect(seen[1].body).toEqual({ ClientId: 'client-1', Username: 'a@example.com', ConfirmationCode: '123456',
		    ClientMetadata: { application_id: 'marketplace' } });
	});
	it('leaves out the optional phone and company', async () => {
		answers.push([200, { UserConfirmed: false, UserSub: 'u' }]);
		await idp().signUp({ email: 'b@example.com', password: 'pw', name: 'B', phone: '', role: 'customer', company: '' });
		expect(seen[0].body.UserAttributes.map((a) => a.Name)).toEqual(['email', 'name', 'custom:role']);
	});
	it('signs out globally with the access token and revokes with the client id', async () => {
		answers.push([200, {}], [200, {}]);
		await idp().globalSignOut('acc.t.s');
		await idp().revokeToken('r1');
		expect(seen[0].target).toBe('AWSCognitoIdentityProviderService.GlobalSignOut');
		expect(seen[0].body).toEqual({ AccessToken: 'acc.t.s' });
		expect(seen[1].target).toBe('AWSCognitoIdentityProviderService.RevokeToken');
		expect(seen[1].body).toEqual({ ClientId: 'client-1', Token: 'r1' });
	});
	it('surfaces Cognito errors by name and message', async () => {
		answers.push(fail('NotAuthorizedException', 'Password attempts exceeded'));
		await expect(idp().signIn('a@example.com', 'x')).rejects.toMatchObject({
			name: 'NotAuthorizedException', message: 'Password attempts exceeded' });
	});
	it('does not retry a throttling answer by itself', async () => {
		answers.push(fail('TooManyRequestsException', 'Rate exceeded', 429), result());
		await expect(idp().signIn('a@example.com', 'x')).rejects.toMatchObject({ name: 'TooManyRequestsException' });
		expect(seen.length).toBe(1);
	});
	it('refuses a challenge it cannot answer', async () => {
		answers.push([200, { ChallengeName: 'NEW_PASSWORD_REQUIRED', Session: 's', ChallengeParameters: {} }]);
		await expect(idp().signIn('a@example.com', 'x')).rejects.toMatchObject({ name: 'UnsupportedChallenge' });
	});
});
