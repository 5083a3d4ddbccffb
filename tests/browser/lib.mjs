// Helpers for the browser tests: Chromium, the development outbox, checks.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const BASE_URL = (process.env.BASE_URL || 'http://127.0.0.1:8080').replace(/\/$/, '');
export const VAR_DIR = process.env.VAR_DIR || 'var';
export const ARTIFACTS = process.env.ARTIFACTS_DIR ||
    path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'artifacts');

export async function
launch()
{
	return chromium.launch({
		executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
		headless: true,
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
		    '--disable-component-update', '--disable-sync', '--no-first-run'],
	});
}

export function
uniqueEmail(tag)
{
	return `${tag}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}@example.test`;
}

/* Watches a page for what must never happen: CSP violations, page errors, secrets in the console. */
export function
watch(page)
{
	const problems = [];
	page.on('console', (m) => {
		const t = m.text();
		if (/Content.Security.Policy|Refused to (load|execute|apply|connect)/i.test(t))
			problems.push('CSP: ' + t);
		if (/eyJ[A-Za-z0-9_-]{10,}\.|session_id=|refresh_token/i.test(t))
			problems.push('secret in console: ' + t.slice(0, 80));
	});
	page.on('pageerror', (e) => problems.push('page error: ' + e.message));
	return problems;
}

function
decodeBody(raw)
{
	const sep = raw.search(/\r?\n\r?\n/);
	const head = sep < 0 ? raw : raw.slice(0, sep);
	let body = sep < 0 ? '' : raw.slice(sep);
	if (/content-transfer-encoding:\s*base64/i.test(raw)) {
		/* decode every base64 block of the message (single part or multipart) */
		body = body.replace(/(?:^|\n)((?:[A-Za-z0-9+/=]{16,}\r?\n?)+)/g, (m, b) => '\n' + Buffer.from(b.replace(/\s/g, ''), 'base64').toString('utf8'));
	}
	if (/quoted-printable/i.test(raw))
		body = body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (m, h) => String.fromCharCode(parseInt(h, 16)));
	return { head, body };
}

/*
 * The 6-digit code in the newest .eml addressed to `email` written after
 * `since` (ms, Date.now() taken before the action that sends it); `not` skips
 * a code already used (a resend must bring a new one).
 */
export async function
readCode(email, since, { not = null, timeoutMs = 15000 } = {})
{
	const dir = path.join(VAR_DIR, 'mail');
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		let best = null;
		for (const f of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
			if (!f.endsWith('.eml'))
				continue;
			const full = path.join(dir, f);
			const st = fs.statSync(full);
			if (st.mtimeMs < since - 100 || (best && st.mtimeMs < best.mtime))
				continue;
			const raw = fs.readFileSync(full, 'utf8');
			const { head, body } = decodeBody(raw);
			const to = /^to:\s*(.*(?:\r?\n[ \t].*)*)/im.exec(head);
			if (!to || !to[1].toLowerCase().includes(email.toLowerCase()))
				continue;
			const code = /(?:code|Code)\D{0,40}?(\d{6})\b/.exec(body) || /\b(\d{6})\b/.exec(body);
			if (code && code[1] !== not)
				best = { mtime: st.mtimeMs, code: code[1] };
		}
		if (best)
			return best.code;
		await new Promise((r) => setTimeout(r, 200));
	}
	throw new Error('no code e-mailed to ' + email + ' in ' + dir);
}

export function
assert(cond, msg)
{
	if (!cond)
		throw new Error(msg);
}

export async function
screenshot(page, name)
{
	fs.mkdirSync(ARTIFACTS, { recursive: true });
	await page.screenshot({ path: path.join(ARTIFACTS, name + '.png'), fullPage: true }).catch(() => {});
}

/* Opens the collapsed navigation on a narrow screen. */
export async function
openNav(page)
{
	const toggle = page.locator('.menu-toggle');
	if (await toggle.isVisible() && (await toggle.getAttribute('aria-expanded')) !== 'true')
		await toggle.click();
}

/* The SSO register form, filled and sent; returns when the confirm page shows. */
export async function
register(page, { email, password, name, role = 'customer', company = '' })
{
	await page.getByRole('link', { name: 'Create an account' }).click();
	await page.getByLabel('E-mail address').fill(email);
	await page.getByLabel('Password', { exact: true }).fill(password);
	await page.getByLabel('Your name').fill(name);
	await page.getByTestId('role-' + role).check();
	if (company)
		await page.getByLabel(/^Company/).fill(company);
	await page.getByTestId('register-submit').click();
	await page.waitForURL(/\/sso\/confirm/);
}

export async function
signInForm(page, email, password)
{
	await page.getByLabel('E-mail address').fill(email);
	await page.getByLabel('Password', { exact: true }).fill(password);
	await page.getByTestId('signin-submit').click();
}

/*
 * Checks every page should pass: each visible form control has a label,
 * each button has a name, and nothing is wider than the window (375px phones).
 */
export async function
checkPage(page)
{
	const bad = await page.evaluate(() => {
		const out = [];
		const visible = (el) => el.offsetParent !== null || el.getClientRects().length > 0;
		for (const el of document.querySelectorAll('input, select, textarea')) {
			if (el.type === 'hidden' || !visible(el))
				continue;
			const named = (el.labels && el.labels.length) || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
			if (!named)
				out.push('unlabelled ' + el.tagName.toLowerCase() + '#' + el.id);
		}
		for (const b of document.querySelectorAll('button, a[href]')) {
			if (visible(b) && !b.textContent.trim() && !b.getAttribute('aria-label'))
				out.push('nameless ' + b.tagName.toLowerCase());
		}
		if (document.documentElement.scrollWidth > window.innerWidth + 1)
			out.push('wider than the window: ' + document.documentElement.scrollWidth + ' > ' + window.innerWidth);
		if (/session_id=/.test(location.href))
			out.push('session id in the address');
		return out;
	});
	if (bad.length)
		throw new Error(bad.join('; '));
}

/*
 * Makes a user an admin with the admin tool (nobody becomes admin through the
 * API): $GATEHOUSE_ADMIN (a command, split on spaces) or bin/gatehouse with
 * -c $VAR_DIR/gatehouse.conf.
 */
export function
setRole(email, role)
{
	let cmd;
	if (process.env.GATEHOUSE_ADMIN) {
		cmd = process.env.GATEHOUSE_ADMIN.split(' ').filter(Boolean);
	} else {
		const repo = path.join(path.dirname(new URL(import.meta.url).pathname), '..', '..');
		cmd = [path.join(repo, 'bin', 'gatehouse')];
		const conf = path.join(VAR_DIR, 'gatehouse.conf');
		if (fs.existsSync(conf))
			cmd.push('-c', conf);
	}
	execFileSync(cmd[0], [...cmd.slice(1), 'user', 'set-role', email, role], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/* Waits for an item with `text` in a paged list, pressing "Load more" as needed. */
export async function
findInList(page, listTestId, text, maxPages = 20)
{
	for (let i = 0; i < maxPages; i++) {
		const item = page.getByTestId(listTestId).locator(':scope > li', { hasText: text }).first();
		try {
			await item.waitFor({ timeout: 4000 });
			return item;
		} catch {
			/* not on the pages shown so far */
		}
		const more = page.getByTestId('load-more');
		if (!(await more.count()))
			break;
		await more.click();
		await page.waitForFunction(() => !document.querySelector('[data-testid="load-more"][disabled]'));
	}
	throw new Error('"' + text + '" is not in the ' + listTestId + ' list');
}
