// Reads the claims of a JWT without verifying it. The frontends only use the
// claims for display and timing (who is signed in, when the token expires);
// every authorisation decision is the backend's, which verifies signatures.

function
b64urlDecode(s)
{
	let b = s.replace(/-/g, '+').replace(/_/g, '/');
	while (b.length % 4)
		b += '=';
	const bin = atob(b);
	const bytes = new Uint8Array(bin.length);
	for (let i = 0; i < bin.length; i++)
		bytes[i] = bin.charCodeAt(i);
	return new TextDecoder().decode(bytes);
}

/* Returns the payload object, or null when the token is not a readable JWT. */
export function
jwtClaims(token)
{
	if (typeof token !== 'string')
		return null;
	const parts = token.split('.');
	if (parts.length !== 3 || !parts[1])
		return null;
	try {
		const claims = JSON.parse(b64urlDecode(parts[1]));
		return claims && typeof claims === 'object' && !Array.isArray(claims) ? claims : null;
	} catch {
		return null;
	}
}
