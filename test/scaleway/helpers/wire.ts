/** Wire-format (snake_case) objects for client tests, shaped like recorded responses. */
export const ORG = 'a8c5f3e6-0d55-4f69-8b4e-3c9a1e0d2b71';
export const TOKEN = '5d6c0e0a-9d1b-4c6f-9a4e-2b7f1f3e8a90';

export function uuidFor(n: number): string {
  const hex = n.toString(16).padStart(12, '0');
  return `00000000-0000-4000-8000-${hex}`;
}

export function wireApp(n: number, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: uuidFor(n),
    name: `app-${n}`,
    description: '',
    created_at: '2026-06-01T10:00:00.000000Z',
    updated_at: '2026-06-01T10:00:00.000000Z',
    organization_id: ORG,
    editable: true,
    deletable: true,
    managed: false,
    nb_api_keys: 0,
    tags: [],
    ...over,
  };
}

/** Serve `items` as IAM applications pages, honouring page and page_size (default 20). */
export function page(items: readonly unknown[], url: URL, key = 'applications', total?: number): unknown {
  const p = Number(url.searchParams.get('page') ?? '1');
  const size = Number(url.searchParams.get('page_size') ?? '20');
  return { [key]: items.slice((p - 1) * size, p * size), total_count: total ?? items.length };
}
