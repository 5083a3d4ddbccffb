// The user pool, through AWS's own client (@aws-sdk/client-cognito-identity-provider).
// The endpoint comes from the runtime configuration: the embedded pool
// (http://host/idp) or, with an empty idpEndpoint, AWS Cognito in `region`.
// Only unauthenticated (noAuth) operations and token-authorised ones are used,
// so no AWS credentials are needed in the browser.

import {
	CognitoIdentityProviderClient,
	ConfirmForgotPasswordCommand,
	ConfirmSignUpCommand,
	ForgotPasswordCommand,
	GlobalSignOutCommand,
	InitiateAuthCommand,
	ResendConfirmationCodeCommand,
	RevokeTokenCommand,
	SignUpCommand,
} from '@aws-sdk/client-cognito-identity-provider';

function
toTokens(result, refreshToken)
{
	if (!result || !result.IdToken || !result.AccessToken)
		throw Object.assign(new Error('The sign-in service gave no tokens.'), { name: 'NoTokensError' });
	return {
		id_token: result.IdToken,
		access_token: result.AccessToken,
		refresh_token: result.RefreshToken || refreshToken || '',
		expires_in: result.ExpiresIn || 3600,
	};
}

/* Returns the adapter the frontends and sso-client.js use. */
export function
createIdp(config)
{
	/*
	 * One attempt per call: the SDK would otherwise retry throttling answers
	 * (TooManyRequestsException) by itself, adding attempts behind the user's
	 * back to a pool that counts them. The user retries, with the sentence
	 * errors.js gives.
	 */
	const opts = { region: config.region || 'us-east-1', maxAttempts: 1 };
	if (config.idpEndpoint)
		opts.endpoint = new URL(config.idpEndpoint, globalThis.location ? globalThis.location.href : undefined).href;
	const client = new CognitoIdentityProviderClient(opts);
	const ClientId = config.clientId;

	return {
		async signIn(email, password) {
			const out = await client.send(new InitiateAuthCommand({
				ClientId, AuthFlow: 'USER_PASSWORD_AUTH',
				AuthParameters: { USERNAME: email, PASSWORD: password },
			}));
			if (out.ChallengeName)
				throw Object.assign(new Error('This account needs a step this page does not support (' +
				    out.ChallengeName + ').'), { name: 'UnsupportedChallenge' });
			return toTokens(out.AuthenticationResult);
		},
		/* A refresh answers no new refresh token: the old one is kept. */
		async refresh(refreshToken) {
			const out = await client.send(new InitiateAuthCommand({
				ClientId, AuthFlow: 'REFRESH_TOKEN_AUTH',
				AuthParameters: { REFRESH_TOKEN: refreshToken },
			}));
			return toTokens(out.AuthenticationResult, refreshToken);
		},
		async signUp({ email, password, name, phone, role, company, applicationId }) {
			const attrs = [
				{ Name: 'email', Value: email },
				{ Name: 'name', Value: name },
				{ Name: 'custom:role', Value: role },
			];
			if (company)
				attrs.push({ Name: 'custom:company', Value: company });
			if (phone)
				attrs.push({ Name: 'phone_number', Value: phone });
			return client.send(new SignUpCommand({
				ClientId, Username: email, Password: password, UserAttributes: attrs,
				ClientMetadata: applicationId ? { application_id: applicationId } : undefined,
			}));
		},
		async confirmSignUp(email, code, applicationId) {
			return client.send(new ConfirmSignUpCommand({
				ClientId, Username: email, ConfirmationCode: code,
				ClientMetadata: applicationId ? { application_id: applicationId } : undefined,
			}));
		},
		async resendCode(email) {
			return client.send(new ResendConfirmationCodeCommand({ ClientId, Username: email }));
		},
		async forgotPassword(email) {
			return client.send(new ForgotPasswordCommand({ ClientId, Username: email }));
		},
		async confirmForgotPassword(email, code, password) {
			return client.send(new ConfirmForgotPasswordCommand({
				ClientId, Username: email, ConfirmationCode: code, Password: password,
			}));
		},
		async globalSignOut(accessToken) {
			return client.send(new GlobalSignOutCommand({ AccessToken: accessToken }));
		},
		async revokeToken(refreshToken) {
			return client.send(new RevokeTokenCommand({ ClientId, Token: refreshToken }));
		},
	};
}
