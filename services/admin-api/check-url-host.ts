import type { FieldIssue } from '../shared/errors.js';
import type { SsrfGuard } from '../shared/ssrf/ssrf-guard.js';

/** Registration-time SSRF check of a URL that already passed the syntactic checks. */
export async function checkUrlHost(guard: SsrfGuard, url: string): Promise<FieldIssue | null> {
  const { hostname } = new URL(url);
  const check = await guard.checkHost(hostname);
  switch (check.kind) {
    case 'allowed':
      return null;
    case 'blocked':
      return { field: 'url', message: `host resolves to ${check.address}, which is not allowed (${check.range.replace(/_/g, '-')} address)` };
    case 'unresolvable':
      return { field: 'url', message: `host ${hostname} cannot be resolved (${check.code})` };
  }
}
