// cognito-identity-js.mjs ENDPOINT POOL CLIENT MAILDIR EMAIL PASSWORD:
// the whole flow through amazon-cognito-identity-js (USER_PASSWORD_AUTH):
// sign-up, mailed code, confirm, sign-in, refresh, attributes, update,
// forgot/confirm password, global sign-out; tokens verified with jose
// against the served JWKS.  Prints one line per step, "done" last.
import {
	AuthenticationDetails, CognitoUser, CognitoUserAttribute, CognitoUserPool,
} from 'amazon-cognito-identity-js';
import { mailedCode, verifyTokens } from './common.mjs';

const [endpoint, poolId, clientId, mailDir, email, password] = process.argv.slice(2);
const issuer = endpoint.replace(/\/idp\/?$/, '') + '/idp/' + poolId;
const pool = new CognitoUserPool({ UserPoolId: poolId, ClientId: clientId, endpoint });
const step = (s) => console.log('step ' + s);
const cb = (fn) => new Promise((resolve, reject) => fn((e, r) => (e ? reject(e) : resolve(r))));

function
signIn(user, pw)
{
	user.setAuthenticationFlowType('USER_PASSWORD_AUTH');
	return new Promise((resolve, reject) => user.authenticateUser(
	    new AuthenticationDetails({ Username: email, Password: pw }),
	    { onSuccess: resolve, onFailure: reject }));
}

let t0 = Date.now() - 1000;
await cb((k) => pool.signUp(email, password, [
	new CognitoUserAttribute({ Name: 'email', Value: email }),
	new CognitoUserAttribute({ Name: 'name', Value: 'JS Client' }),
	new CognitoUserAttribute({ Name: 'custom:role', Value: 'partner' }),
], null, k, { application_id: 'marketplace' }));
step('signUp');
const user = new CognitoUser({ Username: email, Pool: pool });
const signupCode = await mailedCode(mailDir, email, t0);
await cb((k) => user.confirmRegistration(signupCode, true, k, { application_id: 'marketplace' }));
step('confirmRegistration');
let session = await signIn(user, password);
const claims = await verifyTokens(issuer + '/.well-known/jwks.json', issuer, clientId,
    session.getIdToken().getJwtToken(), session.getAccessToken().getJwtToken());
if (claims['custom:role'] !== 'partner' || claims.email !== email)
	throw new Error('claims ' + JSON.stringify(claims));
step('authenticateUser+jose');
session = await cb((k) => user.refreshSession(session.getRefreshToken(), k));
await verifyTokens(issuer + '/.well-known/jwks.json', issuer, clientId,
    session.getIdToken().getJwtToken(), session.getAccessToken().getJwtToken());
step('refreshSession');
let attrs = await cb((k) => user.getUserAttributes(k));
if (!attrs.some((a) => a.getName() === 'email' && a.getValue() === email))
	throw new Error('attributes ' + JSON.stringify(attrs));
step('getUserAttributes');
await cb((k) => user.updateAttributes([new CognitoUserAttribute({ Name: 'given_name', Value: 'Jo' })], k));
attrs = await cb((k) => user.getUserAttributes(k));
if (!attrs.some((a) => a.getName() === 'given_name' && a.getValue() === 'Jo'))
	throw new Error('update not seen ' + JSON.stringify(attrs));
step('updateAttributes');
t0 = Date.now() - 1000;
await new Promise((resolve, reject) => user.forgotPassword({ onSuccess: resolve, onFailure: reject,
    inputVerificationCode: resolve }));
const code = await mailedCode(mailDir, email, t0);
await new Promise((resolve, reject) => user.confirmPassword(code, password + '-new',
    { onSuccess: resolve, onFailure: reject }));
step('forgotPassword+confirmPassword');
session = await signIn(user, password + '-new');
const access = session.getAccessToken().getJwtToken();
await new Promise((resolve, reject) => user.globalSignOut({ onSuccess: resolve, onFailure: reject }));
const r = await fetch(endpoint, { method: 'POST', headers: {
	'Content-Type': 'application/x-amz-json-1.1',
	'X-Amz-Target': 'AWSCognitoIdentityProviderService.GetUser' },
	body: JSON.stringify({ AccessToken: access }) });
const j = await r.json();
if (r.status !== 400 || j.__type !== 'NotAuthorizedException')
	throw new Error('after globalSignOut GetUser said ' + r.status + ' ' + JSON.stringify(j));
step('globalSignOut');
try {
	await signIn(user, 'wrong password here');
	throw new Error('signed in with a wrong password');
} catch (e) {
	if (e.code !== 'NotAuthorizedException' && e.name !== 'NotAuthorizedException')
		throw e;
}
step('wrong password refused');
console.log('done');
