import { createRouter, createWebHistory } from 'vue-router';
import SignIn from './views/SignIn.vue';
import Register from './views/Register.vue';
import Confirm from './views/Confirm.vue';
import Forgot from './views/Forgot.vue';
import Reset from './views/Reset.vue';

export const router = createRouter({
	history: createWebHistory('/sso/'),
	routes: [
		{ path: '/', name: 'signin', component: SignIn, meta: { title: 'Sign in' } },
		{ path: '/register', name: 'register', component: Register, meta: { title: 'Create an account' } },
		{ path: '/confirm', name: 'confirm', component: Confirm, meta: { title: 'Confirm your e-mail' } },
		{ path: '/forgot', name: 'forgot', component: Forgot, meta: { title: 'Forgot password' } },
		{ path: '/reset', name: 'reset', component: Reset, meta: { title: 'Choose a new password' } },
		{ path: '/:rest(.*)*', redirect: (to) => ({ name: 'signin', query: to.query }) },
	],
});

router.afterEach((to) => {
	document.title = (to.meta.title || 'Sign in') + ' · Gatehouse';
});
