// sdk-v3.mjs ENDPOINT POOL CLIENT MAILDIR EMAIL PASSWORD: the calls the
// frontends make (web/src/shared/cognito.js) through the AWS JS SDK v3
// (@aws-sdk/client-cognito-identity-provider), without AWS credentials:
// sign-up, confirm, sign-in, refresh, forgot/confirm, global sign-out,
// revoke, and the error names the frontends map.  "done" last.
import {
	CognitoIdentityProviderClient, ConfirmForgotPasswordCommand, ConfirmSignUpCommand,
	ForgotPasswordCommand, GetUserCommand, GlobalSignOutCommand, InitiateAuthCommand,
	ResendConfirmationCodeCommand, RevokeTokenCommand, SignUpCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { mailedCode, verifyTokens } from './common.mjs';

const [endpoint, poolId, ClientId, mailDir, email, password] = process.argv.slice(2);
const issuer = endpoint.replace(/\/idp\/?$/, '') + '/idp/' + poolId;
const client = new CognitoIdentityProviderClient({ region: poolId.split('_')[0], endpoint, maxAttempts: 1 });
const step = (s) => console.log('step ' + s);
async function
fails(cmd, name)
{
	try {
		await client.send(cmd);
	} catch (e) {
		if (e.name !== name)
			throw new Error('wanted ' + name + ', got ' + e.name + ': ' + e.message);
		return e;
	}
	throw new Error('wanted ' + name + ', got success');
}
const login = (pw) => client.send(new InitiateAuthCommand({ ClientId, AuthFlow: 'USER_PASSWORD_AUTH',
    AuthParameters: { USERNAME: email, PASSWORD: pw } }));

let t0;
await client.send(new SignUpCommand({ ClientId, Username: email, Password: password,
    UserAttributes: [{ Name: 'email', Value: email }, { Name: 'custom:role', Value: 'customer' }],
    ClientMetadata: { application_id: 'marketplace' } }));
step('SignUp');
await fails(new SignUpCommand({ ClientId, Username: email, Password: password }), 'UsernameExistsException');
await fails(new InitiateAuthCommand({ ClientId, AuthFlow: 'USER_PASSWORD_AUTH',
    AuthParameters: { USERNAME: email, PASSWORD: password } }), 'UserNotConfirmedException');
await client.send(new ResendConfirmationCodeCommand({ ClientId, Username: email }));
await new Promise((r) => setTimeout(r, 50));
const code = await mailedCode(mailDir, email, Date.now() - 300);
await fails(new ConfirmSignUpCommand({ ClientId, Username: email,
    ConfirmationCode: String((Number(code) + 1) % 1000000).padStart(6, '0') }), 'CodeMismatchException');
await client.send(new ConfirmSignUpCommand({ ClientId, Username: email, ConfirmationCode: code,
    ClientMetadata: { application_id: 'marketplace' } }));
step('ConfirmSignUp');
let out = await login(password);
if (out.ChallengeName || !out.AuthenticationResult.RefreshToken)
	throw new Error('InitiateAuth: ' + JSON.stringify(out));
await verifyTokens(issuer + '/.well-known/jwks.json', issuer, ClientId,
    out.AuthenticationResult.IdToken, out.AuthenticationResult.AccessToken);
const refresh = out.AuthenticationResult.RefreshToken;
step('InitiateAuth+jose');
out = await client.send(new InitiateAuthCommand({ ClientId, AuthFlow: 'REFRESH_TOKEN_AUTH',
    AuthParameters: { REFRESH_TOKEN: refresh } }));
if (out.AuthenticationResult.RefreshToken)
	throw new Error('a refresh gave a new refresh token');
step('refresh');
await fails(new InitiateAuthCommand({ ClientId, AuthFlow: 'USER_PASSWORD_AUTH',
    AuthParameters: { USERNAME: email, PASSWORD: 'wrong-wrong-1' } }), 'NotAuthorizedException');
t0 = Date.now() - 1000;
await client.send(new ForgotPasswordCommand({ ClientId, Username: email }));
const reset = await mailedCode(mailDir, email, t0);
await fails(new ConfirmForgotPasswordCommand({ ClientId, Username: email, ConfirmationCode: reset,
    Password: 'short' }), 'InvalidPasswordException');
await client.send(new ConfirmForgotPasswordCommand({ ClientId, Username: email, ConfirmationCode: reset,
    Password: password + '-2' }));
step('ForgotPassword+ConfirmForgotPassword');
out = await login(password + '-2');
await client.send(new RevokeTokenCommand({ ClientId, Token: out.AuthenticationResult.RefreshToken }));
await fails(new InitiateAuthCommand({ ClientId, AuthFlow: 'REFRESH_TOKEN_AUTH',
    AuthParameters: { REFRESH_TOKEN: out.AuthenticationResult.RefreshToken } }), 'NotAuthorizedException');
step('RevokeToken');
out = await login(password + '-2');
const AccessToken = out.AuthenticationResult.AccessToken;
await client.send(new GetUserCommand({ AccessToken }));
await client.send(new GlobalSignOutCommand({ AccessToken }));
await fails(new GetUserCommand({ AccessToken }), 'NotAuthorizedException');
step('GlobalSignOut');
console.log('done');
