// The marketplace client (/): signs in through the SSO frontend with the helper SDK.
import { createApp } from 'vue';
import '../shared/ui/base.css';
import App from './App.vue';
import { makeRouter } from './router.js';
import { loadConfig } from '../shared/config.js';
import { createIdp } from '../shared/cognito.js';
import { createSsoClient } from '../shared/sso-client.js';
import { init, loadProfile } from './session.js';

async function
start()
{
	const el = document.getElementById('app');
	let config;
	try {
		config = await loadConfig('/config.json', { fallbackUrl: null });
	} catch (e) {
		el.textContent = 'The marketplace is not available right now: ' + e.message;
		return;
	}
	const sso = createSsoClient({ config, idp: createIdp(config) });
	init(sso, config);
	if (sso.isSignedIn() && window.location.pathname !== '/success')
		loadProfile();
	createApp(App).use(makeRouter(sso)).mount(el);
}

start();
