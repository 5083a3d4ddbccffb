// Reading the marketplace API's JSON. The contract fixes snake_case names;
// where a name is not fixed yet, the seed's camelCase spelling is accepted too,
// so the pages work while the backend settles. One place to adjust.

export function
pick(obj, ...names)
{
	if (!obj || typeof obj !== 'object')
		return undefined;
	for (const n of names) {
		if (obj[n] !== undefined && obj[n] !== null)
			return obj[n];
	}
	return undefined;
}

/* A page of a list: {items, cursor}. Accepts {items|<name>: [...], next_cursor|cursor} or a bare array. */
export function
page(data, name)
{
	if (Array.isArray(data))
		return { items: data, cursor: null };
	const items = pick(data, 'items', name, 'results', 'data');
	const cursor = pick(data, 'next_cursor', 'nextCursor', 'cursor', 'next');
	return { items: Array.isArray(items) ? items : [], cursor: typeof cursor === 'string' && cursor ? cursor : null };
}

export const solutionId = (s) => pick(s, 'solution_id', 'solutionId', 'id');
export const orderId = (o) => pick(o, 'order_id', 'orderId', 'id');
export const userId = (u) => pick(u, 'user_id', 'userId', 'sub', 'id');
export const appId = (a) => pick(a, 'app_id', 'appId', 'id');
export const createdAt = (x) => pick(x, 'created_at', 'createdAt');

/* Price in minor units and its currency, from pricing:{amount,currency} or flat fields. */
export function
price(s)
{
	const p = pick(s, 'pricing');
	const amount = pick(p, 'amount', 'price', 'amount_minor') ?? pick(s, 'price', 'amount', 'price_minor', 'amount_minor');
	const currency = pick(p, 'currency') ?? pick(s, 'currency') ?? 'USD';
	return { amount: Number.isFinite(Number(amount)) ? Number(amount) : null, currency: String(currency).toUpperCase() };
}

export function
formatMoney(amount, currency = 'USD')
{
	if (amount === null || amount === undefined || !Number.isFinite(Number(amount)))
		return '—';
	let fmt;
	try {
		fmt = new Intl.NumberFormat(undefined, { style: 'currency', currency });
	} catch {
		fmt = new Intl.NumberFormat(undefined, { style: 'currency', currency: 'USD' });
	}
	const digits = fmt.resolvedOptions().maximumFractionDigits;
	return fmt.format(Number(amount) / 10 ** digits);
}

/* An order's total and lines (the seed's order_details {amount, items[]}). */
export function
orderSummary(o)
{
	const d = pick(o, 'order_details', 'orderDetails') || o;
	const items = pick(d, 'items') || [];
	return {
		amount: pick(d, 'amount', 'total', 'amount_minor'),
		currency: pick(d, 'currency') ?? pick(o, 'currency') ?? 'USD',
		items: Array.isArray(items) ? items : [],
	};
}

export function
formatDate(v)
{
	if (v === undefined || v === null || v === '')
		return '';
	const d = typeof v === 'number' ? new Date(v < 1e12 ? v * 1000 : v) : new Date(v);
	if (Number.isNaN(d.getTime()))
		return String(v);
	return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export const ROLES = ['customer', 'partner', 'admin'];

/* Categories are slugs ([a-z0-9-], 1..48): "Security Tools" -> "security-tools". */
export function
slugify(text)
{
	return String(text).toLowerCase().normalize('NFKD').replace(/[\u0300-\u036f]/g, '')
	    .replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 48).replace(/-+$/, '');
}

/* "security-tools" -> "Security tools", for display. */
export function
categoryLabel(slug)
{
	const s = String(slug || '').replace(/-/g, ' ').trim();
	return s ? s[0].toUpperCase() + s.slice(1) : '';
}
