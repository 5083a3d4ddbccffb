// Browser tests of the three frontends against a running gatehouse
// (BASE_URL, default http://127.0.0.1:8080; VAR_DIR holds mail/*.eml).
// Prints one line per case and, last, "N passed, N failed".
import { BASE_URL, assert, checkPage, findInList, launch, openNav, readCode, register, screenshot, setRole, signInForm, uniqueEmail, watch } from './lib.mjs';

const PASSWORD = 'correct horse battery staple 7';
const customer = { email: uniqueEmail('cust'), password: PASSWORD, name: 'Casey Customer' };
const partner = { email: uniqueEmail('part'), password: PASSWORD, name: 'Pat Partner', role: 'partner', company: 'Pat Tools Ltd' };
let browser;
let custPage;          /* the customer's tab, signed in to the marketplace */
let orderedName = '';
let publishedName = '';    /* a solution the partner published */
let usedSessionUrl = '';   /* the first /success?session_id=... the customer was sent to */

/* Register through the marketplace's Sign in button, confirm with the e-mailed code, land on the orders page. */
async function registerAndLand(page, who) {
	await page.goto(BASE_URL + '/');
	await page.getByTestId('signin').click();
	await page.waitForURL(/\/sso\/\?.*application_id=marketplace/);
	const since = Date.now();
	const seen = (frame) => {
		if (frame === page.mainFrame() && /\/success\?session_id=/.test(frame.url()) && !usedSessionUrl)
			usedSessionUrl = frame.url();
	};
	page.on('framenavigated', seen);
	await register(page, who);
	const code = await readCode(who.email, since);
	await page.getByLabel('6-digit code').fill(code);
	const landed = page.waitForURL(/\/success\?session_id=/, { timeout: 15000 }).then(() => true);
	await page.getByTestId('confirm-submit').click();
	assert(await landed, 'did not reach /success');
	await page.waitForURL(BASE_URL + '/orders', { timeout: 15000 });
	await page.getByRole('heading', { name: 'Your orders' }).waitFor();
	assert(!page.url().includes('session_id'), 'session id left in the address bar: ' + page.url());
	page.off('framenavigated', seen);
}

const cases = [
	['register a customer, confirm the e-mailed code, land on /success then orders', async (page) => {
		await registerAndLand(page, customer);
		await page.getByTestId('orders-empty').waitFor();
		const stored = await page.evaluate(() => JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage }));
		assert(!stored.includes('session_id'), 'session id kept in storage');
		custPage = page;
	}, { keep: true, viewport: { width: 375, height: 800 } }],

	['a partner sees the partner pages', async (page) => {
		await registerAndLand(page, partner);
		await page.getByTestId('role').waitFor();
		assert((await page.getByTestId('role').innerText()).trim() === 'partner', 'role shown is not partner');
		await openNav(page);
		await page.getByTestId('nav-partner-solutions').click();
		await page.getByRole('heading', { name: 'My solutions' }).waitFor();
		assert(await page.getByTestId('forbidden').count() === 0, 'partner page refused');
		assert(await page.getByTestId('error').count() === 0, 'partner page shows an error: ' +
		    (await page.getByTestId('error').allInnerTexts()).join());
		assert(await page.getByTestId('nav-admin-users').count() === 0, 'partner sees the admin link');
		/* add a solution, publish it, find it in the catalog */
		const solName = 'Browser Test Kit ' + Math.random().toString(36).slice(2, 8);
		await page.getByLabel('Name', { exact: true }).fill(solName);
		await page.getByLabel('Description').fill('Made by the browser tests.');
		await page.getByLabel('Category').fill('Browser Tests');
		await page.getByLabel('Price').fill('19.99');
		await page.getByRole('button', { name: 'Add solution' }).click();
		const row = await findInList(page, 'solutions', solName);
		assert(/draft/.test(await row.innerText()), 'a new solution is not a draft');
		await row.getByRole('button', { name: 'Publish' }).click();
		await page.getByText(solName + ' is now published.').waitFor();
		await page.goto(BASE_URL + '/catalog');
		const card = await findInList(page, 'catalog', solName);
		publishedName = solName;
		const text = await card.innerText();
		assert(/19\.99/.test(text) && /Browser tests/.test(text), 'catalog card: ' + text);
	}],

	['order from the catalog and see the order', async (page) => {
		await page.goto(BASE_URL + '/catalog');
		const first = publishedName ? await findInList(page, 'catalog', publishedName) : page.getByTestId('solution').first();
		await first.waitFor();
		const name = (await first.locator('h2').innerText()).trim();
		await first.getByTestId('quantity').fill('2');
		await first.getByTestId('order').click();
		await first.getByTestId('order-ok').waitFor();
		orderedName = name;
		await page.goto(BASE_URL + '/orders');
		const order = page.getByTestId('order').first();
		await order.waitFor();
		const text = await order.innerText();
		assert(text.includes('2 × ' + name), 'the newest order is not 2 × ' + name + ': ' + text);
	}, { reuse: () => custPage }],

	['edit the profile and see it kept', async (page) => {
		await page.goto(BASE_URL + '/profile');
		const name = page.getByLabel('Name', { exact: true });
		await name.waitFor();
		assert((await page.getByTestId('email').innerText()).trim() === customer.email, 'profile shows another e-mail');
		await name.fill('Casey Q. Customer');
		await page.getByRole('button', { name: 'Save' }).click();
		await page.getByTestId('saved').waitFor();
		await page.reload();
		await page.getByLabel('Name', { exact: true }).waitFor();
		assert(await page.getByLabel('Name', { exact: true }).inputValue() === 'Casey Q. Customer', 'the new name was not kept');
	}, { reuse: () => custPage }],

	['sign in to the second application without a password', async (page) => {
		await page.goto(BASE_URL + '/support/');
		await page.getByTestId('signin').click();
		await page.waitForURL(/\/sso\/\?.*application_id=support/);
		await page.getByTestId('continue-card').waitFor();
		assert(await page.getByLabel('Password', { exact: true }).count() === 0, 'a password field is shown');
		await page.getByTestId('continue').click();
		await page.waitForURL(BASE_URL + '/support/', { timeout: 15000 });
		const who = await page.getByTestId('signed-in-as').innerText();
		assert(who.includes(customer.email), 'support shows ' + who);
		/* the same user's orders, read with the support application's own tokens */
		if (orderedName)
			await page.getByTestId('order').first().waitFor();
		else
			await page.getByTestId('order').or(page.getByTestId('orders-empty')).first().waitFor();
		assert(!page.url().includes('session_id'), 'session id left in the address bar');
	}, { reuse: () => custPage }],

	['a customer sees no partner pages', async (page) => {
		await page.goto(BASE_URL + '/orders');
		await page.getByRole('heading', { name: 'Your orders' }).waitFor();
		await openNav(page);
		await page.getByTestId('role').waitFor();
		assert((await page.getByTestId('role').innerText()).trim() === 'customer', 'role shown is not customer');
		assert(await page.getByTestId('nav-orders').isVisible(), 'no navigation');
		assert(await page.getByTestId('nav-partner-solutions').count() === 0, 'customer sees the partner link');
		assert(await page.getByTestId('nav-admin-users').count() === 0, 'customer sees the admin link');
		await page.goto(BASE_URL + '/partner/solutions');
		await page.getByTestId('forbidden').waitFor();
	}, { reuse: () => custPage }],

	['signing out of the marketplace ends the single sign-on', async (page) => {
		await page.goto(BASE_URL + '/orders');
		await page.getByRole('heading', { name: 'Your orders' }).waitFor();
		await openNav(page);
		await page.getByTestId('signout').click();
		await page.waitForURL(BASE_URL + '/');
		await page.getByTestId('signin').waitFor();
		const kept = await page.evaluate(() => sessionStorage.getItem('gatehouse.tokens.marketplace'));
		assert(kept === null, 'tokens kept after sign-out');
		await page.getByTestId('signin').click();
		await page.waitForURL(/\/sso\/\?/);
		/* the stored SSO session is checked and found revoked: the password form shows */
		await page.getByTestId('signin-submit').waitFor();
		assert(await page.getByTestId('continue-card').count() === 0, 'still offers to continue');
	}, { reuse: () => custPage }],

	['forgot password: reset with the e-mailed code, then signed in', async (page) => {
		/* continues on the SSO page the previous case left open */
		await page.getByRole('link', { name: 'Forgot your password?' }).click();
		await page.getByLabel('E-mail address').fill(customer.email);
		const since = Date.now();
		await page.getByRole('button', { name: 'Send the code' }).click();
		await page.waitForURL(/\/sso\/reset/);
		const code = await readCode(customer.email, since);
		customer.password = PASSWORD + ' renewed';
		await page.getByLabel('6-digit code').fill(code);
		await page.getByLabel('New password').fill(customer.password);
		await page.getByRole('button', { name: 'Save and sign in' }).click();
		await page.waitForURL(BASE_URL + '/orders', { timeout: 15000 });
		await page.getByRole('heading', { name: 'Your orders' }).waitFor();
		assert((await page.getByTestId('role').count()) === 1, 'not signed in');
	}, { reuse: () => custPage }],

	['the sign-in form works with the keyboard alone, with visible focus', async (page) => {
		await page.goto(BASE_URL + '/sso/?application_id=marketplace&channel_id=web');
		await page.getByTestId('signin-submit').waitFor();
		let id = '';
		for (let i = 0; i < 6 && id !== 'si-email'; i++) {
			await page.keyboard.press('Tab');
			id = await page.evaluate(() => document.activeElement && document.activeElement.id);
		}
		assert(id === 'si-email', 'Tab never reached the e-mail field');
		const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
		assert(outline && outline !== 'none', 'no visible focus on the e-mail field');
		await page.keyboard.type(uniqueEmail('nobody'));
		await page.keyboard.press('Tab');
		await page.keyboard.type('not the password 1');
		await page.keyboard.press('Enter');
		const err = page.locator('#si-password-error');
		await err.waitFor();
		assert(/wrong/.test(await err.innerText()), 'message: ' + await err.innerText());
	}],

	['a customer applies to be a partner, an admin approves, the customer becomes a partner', async (page) => {
		const tag = Math.random().toString(36).slice(2, 8);
		const applicant = { email: uniqueEmail('appl'), password: PASSWORD, name: 'Avery Applicant' };
		const admin = { email: uniqueEmail('admin'), password: PASSWORD, name: 'Ada Admin' };
		const company = 'Avery Apps ' + tag;
		await registerAndLand(page, applicant);
		await openNav(page);
		await page.getByTestId('nav-partner-apply').click();
		await page.getByLabel('Company name').fill(company);
		await page.getByLabel('What would you like to sell?').fill('Backup tools for small offices.');
		await page.getByRole('button', { name: 'Send application' }).click();
		await page.getByTestId('applied').waitFor();

		const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
		const adminPage = await ctx.newPage();
		const problems = watch(adminPage);
		adminPage.setDefaultTimeout(10000);
		try {
			await registerAndLand(adminPage, admin);
			setRole(admin.email, 'admin');
			await adminPage.goto(BASE_URL + '/admin/apps');
			await adminPage.getByTestId('nav-admin-apps').waitFor();
			const row = await findInList(adminPage, 'apps', company);
			await row.getByLabel('Note to the applicant (optional)').fill('Welcome aboard.');
			await row.getByRole('button', { name: 'Approve' }).click();
			await adminPage.getByText(company + ' approved.').waitFor();
			await adminPage.goto(BASE_URL + '/admin/users');
			await findInList(adminPage, 'users', applicant.email);
			await checkPage(adminPage);
			assert(problems.length === 0, problems.join('; '));
		} finally {
			await screenshot(adminPage, 'admin-pages');
			await ctx.close();
		}
		/* the stored role changed: the applicant's next page shows the partner pages */
		await page.goto(BASE_URL + '/orders');
		await openNav(page);
		await page.getByTestId('nav-partner-solutions').waitFor();
		assert((await page.getByTestId('role').innerText()).trim() === 'partner', 'the applicant is not a partner');
	}],

	['a used sign-in link is refused and leaves the address bar', async (page) => {
		assert(usedSessionUrl, 'no sign-in link was seen earlier');
		await page.goto(usedSessionUrl);
		const err = page.getByTestId('success-error');
		await err.waitFor();
		assert(/expired or was already used/.test(await err.innerText()), 'message: ' + await err.innerText());
		assert(!page.url().includes('session_id'), 'session id left in the address bar');
		assert(await page.evaluate(() => sessionStorage.length) === 0, 'something was stored');
	}],

	['an unknown application cannot be signed in to', async (page) => {
		await page.goto(BASE_URL + '/sso/?application_id=no-such-app&channel_id=web');
		await page.getByTestId('app-error').waitFor();
		assert(await page.getByTestId('signin-submit').isDisabled(), 'the sign-in button is enabled');
	}],

	['a wrong confirmation code shows its message next to the code', async (page) => {
		const who = { email: uniqueEmail('wrong'), password: PASSWORD, name: 'Wren Wrongcode' };
		await page.goto(BASE_URL + '/sso/?application_id=marketplace&channel_id=web');
		const since = Date.now();
		await register(page, who);
		const code = await readCode(who.email, since);
		const wrong = code.slice(0, 5) + String((Number(code[5]) + 1) % 10);
		await page.getByLabel('6-digit code').fill(wrong);
		await page.getByTestId('confirm-submit').click();
		const err = page.locator('#cf-code-error');
		await err.waitFor();
		assert(/not right/.test(await err.innerText()), 'message: ' + await err.innerText());
		assert(await page.locator('#cf-code').getAttribute('aria-invalid') === 'true', 'code field not marked invalid');
		await screenshot(page, 'wrong-code-message');
		/* a new code replaces the old one and confirms the account */
		const since2 = Date.now();
		await page.getByTestId('resend').click();
		await page.getByTestId('notice').filter({ hasText: 'new code' }).waitFor();
		const fresh = await readCode(who.email, since2, { not: code });
		await page.getByLabel('6-digit code').fill(fresh);
		await page.getByTestId('confirm-submit').click();
		await page.waitForURL(BASE_URL + '/orders', { timeout: 15000 });
	}],

	['a locked account shows its message', async (page) => {
		/*
		 * Cognito's pattern: from the 5th failure on, each failure locks the
		 * account for a doubling time. Fail until a lock is seen and long
		 * (8 failures, or a lock that does not lift), then the right password
		 * must be refused with the same message.
		 */
		await page.goto(BASE_URL + '/sso/?application_id=marketplace&channel_id=web');
		const message = async () => {
			const err = page.locator('#si-password-error, [data-testid="form-error"]').first();
			await err.waitFor();
			const t = await err.innerText();
			await page.waitForFunction(() => !document.querySelector('[data-testid="signin-submit"][disabled]'));
			return t;
		};
		let failures = 0, locks = 0, streak = 0;
		const t0 = Date.now();
		while (Date.now() - t0 < 45000) {
			await signInForm(page, partner.email, 'wrong password ' + (failures + locks));
			const text = await message();
			if (/locked/.test(text)) {
				locks++;
				if (++streak >= 16)
					break;
				await page.waitForTimeout(400);
				continue;
			}
			assert(/wrong/.test(text), 'a failed sign-in said: ' + text);
			streak = 0;
			if (++failures >= 8 && locks > 0)
				break;
		}
		assert(locks > 0, 'never locked after ' + failures + ' failures');
		await screenshot(page, 'locked-message');
		await signInForm(page, partner.email, partner.password);
		const text = await message();
		assert(/locked/.test(text), 'the right password while locked said: ' + text);
		assert(/\/sso\//.test(page.url()), 'signed in while locked');
	}],
];

async function main() {
	let passed = 0, failed = 0;
	browser = await launch();
	let shared = null;
	for (const [name, fn, opts = {}] of cases) {
		const slug = name.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').toLowerCase().slice(0, 60);
		let page = opts.reuse ? opts.reuse() : null;
		let ctx = null;
		if (!page) {
			ctx = await browser.newContext({ viewport: opts.viewport || { width: 1280, height: 900 } });
			page = await ctx.newPage();
			page.__problems = watch(page);
		}
		if (opts.keep)
			shared = ctx;
		page.setDefaultTimeout(10000);
		const t0 = Date.now();
		try {
			if (opts.reuse && !page)
				throw new Error('depends on an earlier case that failed');
			await fn(page);
			await checkPage(page);
			assert(page.__problems.length === 0, page.__problems.join('; '));
			passed++;
			console.log(`ok - ${name} (${Date.now() - t0} ms)`);
		} catch (e) {
			failed++;
			console.log(`not ok - ${name}: ${String(e.message || e).split('\n')[0]}`);
			page.__problems.length = 0;
		}
		await screenshot(page, slug);
		if (ctx && !opts.keep)
			await ctx.close();
	}
	if (shared)
		await shared.close();
	await browser.close();
	console.log(`${passed} passed, ${failed} failed`);
	process.exit(failed ? 1 : 0);
}

main().catch(async (e) => {
	console.log('not ok - browser suite: ' + e.message);
	if (browser)
		await browser.close().catch(() => {});
	console.log('0 passed, 1 failed');
	process.exit(1);
});
