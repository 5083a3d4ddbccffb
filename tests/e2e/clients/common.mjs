// common.mjs: what the client scripts share: the newest code mailed to an
// address (var/mail/*.eml), and a check that tokens verify with jose.
import fs from 'node:fs';
import path from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';

export async function
mailedCode(mailDir, to, after)
{
	const deadline = Date.now() + 5000;
	for (;;) {
		const files = fs.readdirSync(mailDir).filter((f) => f.endsWith('.eml'))
		    .map((f) => path.join(mailDir, f))
		    .filter((f) => fs.statSync(f).mtimeMs >= after);
		files.sort((a, b) => fs.statSync(a).mtimeMs - fs.statSync(b).mtimeMs);
		for (const f of files.reverse()) {
			const text = fs.readFileSync(f, 'utf8');
			const [head, ...body] = text.split('\r\n\r\n');
			if (!new RegExp('^To: ' + to.replace(/[.+]/g, '\\$&') + '\\r?$', 'mi').test(head))
				continue;
			const m = body.join('\n').match(/\b(\d{6})\b/);
			if (m)
				return m[1];
		}
		if (Date.now() > deadline)
			throw new Error('no code mailed to ' + to);
		await new Promise((r) => setTimeout(r, 100));
	}
}

export async function
verifyTokens(jwksUrl, issuer, clientId, idToken, accessToken)
{
	const jwks = createRemoteJWKSet(new URL(jwksUrl));
	const id = await jwtVerify(idToken, jwks, { issuer, audience: clientId, algorithms: ['RS256'] });
	if (id.payload.token_use !== 'id')
		throw new Error('id token_use ' + id.payload.token_use);
	const ac = await jwtVerify(accessToken, jwks, { issuer, algorithms: ['RS256'] });
	if (ac.payload.token_use !== 'access' || ac.payload.client_id !== clientId)
		throw new Error('access token claims ' + JSON.stringify(ac.payload));
	// A token signed by someone else must not verify.
	const forged = idToken.split('.').slice(0, 2).join('.') + '.' +
	    Buffer.from('x'.repeat(256)).toString('base64url');
	let refused = false;
	try {
		await jwtVerify(forged, jwks, { issuer, audience: clientId });
	} catch {
		refused = true;
	}
	if (!refused)
		throw new Error('a forged token verified');
	return id.payload;
}
