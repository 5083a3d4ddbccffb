// Turns user-pool (Cognito) errors into plain sentences and says which form
// field each one concerns, so a form can show the sentence next to that field.
// The `field` is one of: email, password, code, newPassword, phone, form.

const LOCKED = 'Too many failed sign-in attempts. This account is locked for a while: wait a few minutes, then try again.';

export function
describeIdpError(err, context = 'signin')
{
	const name = (err && (err.name || err.__type)) || '';
	const msg = (err && err.message) || '';

	if (/password attempts exceeded/i.test(msg))
		return { field: 'password', message: LOCKED };
	switch (name) {
	case 'NotAuthorizedException':
		if (/disabled/i.test(msg))
			return { field: 'email', message: 'This account is disabled. Contact support.' };
		if (context === 'refresh')
			return { field: 'form', message: 'Your session has ended. Sign in again.' };
		return { field: 'password', message: 'The e-mail address or the password is wrong.' };
	case 'UserNotFoundException':
		if (context === 'signin')
			return { field: 'password', message: 'The e-mail address or the password is wrong.' };
		return { field: 'email', message: 'No account uses this e-mail address.' };
	case 'UserNotConfirmedException':
		return { field: 'email', message: 'This e-mail address is not confirmed yet. Enter the code we e-mailed you.' };
	case 'CodeMismatchException':
		return { field: 'code', message: 'That code is not right. Check the e-mail and type the 6 digits again.' };
	case 'ExpiredCodeException':
		return { field: 'code', message: 'That code has expired or was already used. Ask for a new code.' };
	case 'InvalidPasswordException':
		return { field: context === 'reset' ? 'newPassword' : 'password',
		    message: 'This password is too weak. Use at least 8 characters and avoid common passwords.' };
	case 'UsernameExistsException':
		return { field: 'email', message: 'An account with this e-mail address already exists. Sign in instead.' };
	case 'AliasExistsException':
		return { field: 'email', message: 'An account with this e-mail address already exists.' };
	case 'LimitExceededException':
		return { field: context === 'confirm' || context === 'reset' ? 'code' : 'form',
		    message: 'Too many attempts. Wait a few minutes before trying again.' };
	case 'TooManyRequestsException':
	case 'TooManyFailedAttemptsException':
		return { field: 'form', message: 'Too many requests in a short time. Wait a moment and try again.' };
	case 'CodeDeliveryFailureException':
		return { field: 'email', message: 'We could not send the e-mail. Check the address and try again.' };
	case 'InvalidParameterException':
		if (/phone/i.test(msg))
			return { field: 'phone', message: 'Enter the phone number in international form, like +14155550123.' };
		if (/email/i.test(msg))
			return { field: 'email', message: 'Enter a valid e-mail address.' };
		return { field: 'form', message: 'Some of the details are not valid. Check the form and try again.' };
	default:
		break;
	}
	if (err instanceof TypeError || /fetch|network/i.test(msg))
		return { field: 'form', message: 'The sign-in service cannot be reached. Check your connection and try again.' };
	return { field: 'form', message: 'Something went wrong. Try again in a moment.' };
}
