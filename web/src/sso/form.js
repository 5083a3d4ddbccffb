// Form state shared by the SSO views: busy flag, per-field errors, and the
// mapping of user-pool and backend errors onto fields.
import { reactive, ref } from 'vue';
import { describeIdpError } from '../shared/errors.js';
import { ApiError } from '../shared/api.js';

export function
useForm(fields)
{
	const errors = reactive(Object.fromEntries([...fields, 'form'].map((f) => [f, ''])));
	const busy = ref(false);

	function reset() {
		for (const k of Object.keys(errors))
			errors[k] = '';
	}

	function fail(e, context) {
		if (e instanceof ApiError) {
			errors.form = e.message;
			return;
		}
		const d = describeIdpError(e, context);
		if (d.field in errors)
			errors[d.field] = d.message;
		else
			errors.form = d.message;
	}

	/* Runs fn with the busy flag set; errors land on their fields. */
	async function run(context, fn) {
		if (busy.value)
			return;
		reset();
		busy.value = true;
		try {
			await fn();
		} catch (e) {
			fail(e, context);
		} finally {
			busy.value = false;
		}
	}

	return { errors, busy, reset, fail, run };
}

export const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
export const PHONE_RE = /^\+[1-9][0-9]{6,14}$/;
export const CODE_RE = /^[0-9]{6}$/;

/* Focuses the first field showing an error, for keyboard and screen-reader users. */
export function
focusFirstError()
{
	requestAnimationFrame(() => {
		const el = document.querySelector('[aria-invalid="true"]');
		if (el)
			el.focus();
	});
}
