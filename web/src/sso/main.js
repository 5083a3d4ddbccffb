// The SSO frontend (/sso/): sign in, register, confirm, reset, continue as.
import { createApp } from 'vue';
import '../shared/ui/base.css';
import App from './App.vue';
import { router } from './router.js';
import { loadConfig } from '../shared/config.js';
import { createIdp } from '../shared/cognito.js';
import { init, authorize } from './state.js';

async function
start()
{
	const el = document.getElementById('app');
	let config;
	try {
		config = await loadConfig('/sso/config.json', { fallbackUrl: '/config.json' });
	} catch (e) {
		el.textContent = 'Sign-in is not available right now: ' + e.message;
		return;
	}
	const query = Object.fromEntries(new URLSearchParams(window.location.search));
	init(config, createIdp(config), query);
	authorize();
	createApp(App).use(router).mount(el);
}

start();
