// Three apps, one build: the client (/), the SSO frontend (/sso/) and the
// support demo (/support/). Output goes to dist/; src/scripts/build-frontends.sh
// copies it into htdocs/. Nothing is inlined (CSP: default-src 'self').
import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';
import { fileURLToPath } from 'node:url';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
	plugins: [vue()],
	base: '/',
	build: {
		outDir: 'dist',
		emptyOutDir: true,
		assetsInlineLimit: 0,
		modulePreload: { polyfill: false },
		sourcemap: false,
		rolldownOptions: {
			/* no timing report when the shared machine is slow */
			checks: { bundlerTimings: false },
			input: {
				client: here('./index.html'),
				sso: here('./sso/index.html'),
				support: here('./support/index.html'),
			},
		},
	},
	test: {
		include: ['test/**/*.test.js'],
		environment: 'node',
		reporters: ['default', './test/summary-reporter.js'],
	},
});
