import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder the portal is served from (plain HTML, ES modules and CSS; no build step). */
export const portalFolder = path.join(path.dirname(fileURLToPath(import.meta.url)), 'portal');

const contentTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};
/** A servable file name: one flat folder, lower-case words, a known extension. Nothing else is ever looked up. */
const fileNamePattern = /^[a-z0-9]+(?:-[a-z0-9]+)*\.(?:html|js|css|svg)$/;

/**
 * Strict policy: scripts, styles and fetches from this origin only, no inline script or
 * style, no framing, no plugins, no form posts elsewhere.
 */
export const portalContentSecurityPolicy = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self'", "connect-src 'self'",
  "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');

export const portalSecurityHeaders: Readonly<Record<string, string>> = {
  'content-security-policy': portalContentSecurityPolicy,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

export interface PortalFile {
  readonly bytes: Buffer;
  readonly contentType: string;
  readonly etag: string;
}

/** The name a request path under `/portal/` asks for, or null (pure): `''` is the page itself. */
export function portalFileName(requested: string): string | null {
  const name = requested === '' ? 'index.html' : requested;
  return fileNamePattern.test(name) ? name : null;
}

/**
 * The portal's files, read once at start into memory (a few tens of KB). A request can
 * only name one of them: there is no path to resolve, so `..`, encoded slashes and
 * symbolic links lead nowhere. Each file carries a strong ETag; browsers revalidate
 * (`no-cache`) so a new release shows at once without versioned names.
 */
export class PortalFiles {
  private constructor(private readonly files: ReadonlyMap<string, PortalFile>) {}

  /** A missing folder (a build that did not copy it) serves nothing: the API itself still starts. */
  static load(folder = portalFolder): PortalFiles {
    const files = new Map<string, PortalFile>();
    if (!existsSync(folder)) return new PortalFiles(files);
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const type = contentTypes[path.extname(entry.name)];
      if (!entry.isFile() || type === undefined || !fileNamePattern.test(entry.name)) continue;
      const bytes = readFileSync(path.join(folder, entry.name));
      files.set(entry.name, { bytes, contentType: type, etag: `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 27)}"` });
    }
    return new PortalFiles(files);
  }

  get(requested: string): PortalFile | null {
    const name = portalFileName(requested);
    return name === null ? null : (this.files.get(name) ?? null);
  }

  /** Total bytes of the portal's files. */
  totalBytes(): number {
    return [...this.files.values()].reduce((n, f) => n + f.bytes.length, 0);
  }
}
