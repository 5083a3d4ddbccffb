// A list loaded page by page with a cursor ("load more"), with loading and error state.
import { reactive } from 'vue';
import { api } from './session.js';
import { page } from './model.js';

export function
usePaged(path, name, params = () => ({}))
{
	const s = reactive({ items: [], cursor: null, loading: false, loaded: false, error: '' });

	async function load(more = false) {
		if (s.loading)
			return;
		s.loading = true;
		s.error = '';
		try {
			const q = new URLSearchParams();
			for (const [k, v] of Object.entries(params()))
				if (v !== '' && v !== undefined && v !== null)
					q.set(k, v);
			if (more && s.cursor)
				q.set('cursor', s.cursor);
			const qs = q.toString();
			const p = page(await api(path + (qs ? '?' + qs : '')), name);
			s.items = more ? s.items.concat(p.items) : p.items;
			s.cursor = p.cursor;
			s.loaded = true;
		} catch (e) {
			s.error = e.message;
		} finally {
			s.loading = false;
		}
	}

	return { s, load, more: () => load(true), reload: () => load(false) };
}
