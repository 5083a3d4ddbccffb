// The support desk (/support/): a second application signed in through the
// same SSO frontend, to show single sign-on across applications.
import { createApp } from 'vue';
import { createRouter, createWebHistory } from 'vue-router';
import '../shared/ui/base.css';
import App from './App.vue';
import { loadConfig } from '../shared/config.js';
import { createIdp } from '../shared/cognito.js';
import { createSsoClient } from '../shared/sso-client.js';

async function
start()
{
	const el = document.getElementById('app');
	let config;
	try {
		config = await loadConfig('/support/config.json', {
			fallbackUrl: '/config.json', overrides: { applicationId: 'support', channelId: 'web' },
		});
	} catch (e) {
		el.textContent = 'The support desk is not available right now: ' + e.message;
		return;
	}
	const sso = createSsoClient({ config, idp: createIdp(config) });
	const router = createRouter({
		history: createWebHistory('/support/'),
		routes: [
			{ path: '/', name: 'home', component: App },
			{ path: '/success', name: 'success', component: App },
			{ path: '/:rest(.*)*', redirect: '/' },
		],
	});
	createApp(App, { sso }).use(router).mount(el);
}

start();
