// Unit tests of the client's reading of API JSON (src/client/model.js).
import { describe, expect, it } from 'vitest';
import { categoryLabel, formatMoney, orderSummary, page, price, slugify } from '../src/client/model.js';

describe('page', () => {
	it('reads the catalog shape {items, cursor}', () => {
		expect(page({ items: [1, 2], cursor: 'c2' }, 'solutions')).toEqual({ items: [1, 2], cursor: 'c2' });
	});
	it('reads the orders shape {orders, next_cursor} and a null cursor', () => {
		expect(page({ orders: [{ order_id: 'o' }], next_cursor: null }, 'orders')).toEqual({ items: [{ order_id: 'o' }], cursor: null });
	});
	it('treats anything else as an empty last page', () => {
		expect(page(null, 'x')).toEqual({ items: [], cursor: null });
		expect(page({ items: 'no' }, 'x')).toEqual({ items: [], cursor: null });
	});
});

describe('money', () => {
	it('formats minor units by the currency\'s digits', () => {
		expect(formatMoney(4900, 'USD')).toMatch(/49\.00/);
		expect(formatMoney(1250, 'JPY')).toMatch(/1,250/);
		expect(formatMoney(null, 'USD')).toBe('—');
	});
	it('reads pricing {amount, currency} and flat price fields', () => {
		expect(price({ pricing: { amount: 1999, currency: 'eur' } })).toEqual({ amount: 1999, currency: 'EUR' });
		expect(price({ price: 5, currency: 'GBP' })).toEqual({ amount: 5, currency: 'GBP' });
		expect(price({})).toEqual({ amount: null, currency: 'USD' });
	});
	it('summarises an order from order_details', () => {
		const o = { order_id: 'x', order_details: { amount: 9800, currency: 'USD', items: [{ item_id: 's', quantity: 2, price: 4900 }] } };
		expect(orderSummary(o)).toEqual({ amount: 9800, currency: 'USD', items: o.order_details.items });
	});
});

describe('categories', () => {
	it('makes slugs the backend accepts', () => {
		expect(slugify('Security Tools')).toBe('security-tools');
		expect(slugify('  Café & Bistro!! ')).toBe('cafe-bistro');
		expect(slugify('---')).toBe('');
		const long = slugify('a'.repeat(47) + ' bcd');
		expect(long.length).toBeLessThanOrEqual(48);
		expect(long).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
	});
	it('shows slugs as words', () => {
		expect(categoryLabel('backup-tools')).toBe('Backup tools');
		expect(categoryLabel('')).toBe('');
	});
});
