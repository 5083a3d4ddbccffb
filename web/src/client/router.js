import { createRouter, createWebHistory } from 'vue-router';
import Home from './views/Home.vue';
import Success from './views/Success.vue';
import Orders from './views/Orders.vue';
import Catalog from './views/Catalog.vue';
import Profile from './views/Profile.vue';
import PartnerApply from './views/PartnerApply.vue';
import PartnerSolutions from './views/PartnerSolutions.vue';
import AdminUsers from './views/AdminUsers.vue';
import AdminApps from './views/AdminApps.vue';
import NotFound from './views/NotFound.vue';
import { session } from './session.js';

export function
makeRouter(sso)
{
	const auth = (page, title) => ({ auth: true, page, title });
	const router = createRouter({
		history: createWebHistory('/'),
		routes: [
			{ path: '/', name: 'home', component: Home, meta: { title: 'Welcome' } },
			{ path: '/success', name: 'success', component: Success, meta: { title: 'Signing in' } },
			{ path: '/orders', name: 'orders', component: Orders, meta: auth('orders', 'Your orders') },
			{ path: '/catalog', name: 'catalog', component: Catalog, meta: auth('catalog', 'Catalog') },
			{ path: '/profile', name: 'profile', component: Profile, meta: auth('profile', 'Profile') },
			{ path: '/partner/apply', name: 'partner-apply', component: PartnerApply, meta: auth('partner-apply', 'Become a partner') },
			{ path: '/partner/solutions', name: 'partner-solutions', component: PartnerSolutions, meta: auth('partner-solutions', 'Solutions') },
			{ path: '/admin/users', name: 'admin-users', component: AdminUsers, meta: auth('admin-users', 'Users') },
			{ path: '/admin/apps', name: 'admin-apps', component: AdminApps, meta: auth('admin-apps', 'Partner applications') },
			{ path: '/:rest(.*)*', name: 'not-found', component: NotFound, meta: { title: 'Not found' } },
		],
	});
	router.beforeEach((to) => {
		if (to.meta.auth && !sso.isSignedIn()) {
			session.notice = 'Sign in to open that page.';
			return { name: 'home' };
		}
		return true;
	});
	router.afterEach((to) => {
		document.title = (to.meta.title || 'Marketplace') + ' · Gatehouse Marketplace';
	});
	return router;
}
