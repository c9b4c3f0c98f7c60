import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PortalFiles, portalFileName } from '../../../services/admin-api/portal-files.js';
import { decodeExampleQuery } from '../../../services/admin-api/request-examples.js';

describe('portal files', () => {
  it('names only flat lower-case files of a known type; the empty name is the page', () => {
    expect(portalFileName('')).toBe('index.html');
    expect(portalFileName('app.js')).toBe('app.js');
    expect(portalFileName('live-feed.js')).toBe('live-feed.js');
    for (const bad of ['..', '../package.json', '..\\x.js', 'a/b.js', '.env', 'x.ts', 'APP.JS', 'app.js\0.css', 'app..js', '-x.js', 'x-.js', 'x.js ', '%2e%2e']) {
      expect(portalFileName(bad), bad).toBeNull();
    }
  });

  it('serves what the folder held at start, nothing it links to or holds below', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'portal-'));
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html>');
    writeFileSync(path.join(dir, 'app.js'), 'export {}');
    writeFileSync(path.join(dir, 'notes.txt'), 'no');
    mkdirSync(path.join(dir, 'sub.js'));
    symlinkSync('/etc/hostname', path.join(dir, 'link.js'));
    const files = PortalFiles.load(dir);
    expect(files.get('')?.contentType).toBe('text/html; charset=utf-8');
    expect(files.get('app.js')?.contentType).toBe('text/javascript; charset=utf-8');
    expect(files.get('app.js')?.etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect(files.get('notes.txt')).toBeNull();
    expect(files.get('sub.js')).toBeNull();
    expect(files.get('link.js')).toBeNull();
    expect(files.totalBytes()).toBe('<!doctype html>'.length + 'export {}'.length);
    expect(PortalFiles.load(path.join(dir, 'absent')).get('')).toBeNull();
  });
});

describe('example query', () => {
  it('needs a kind, defaults the rest, and refuses unknown, repeated or bad parameters', () => {
    expect(decodeExampleQuery(new URLSearchParams('kind=gps'))).toEqual({ kind: 'gps', contentType: 'application/json', eventType: 'heartbeat', auth: 'none' });
    const bad = ['', 'kind=bus', 'kind=gps&kind=dtc', 'kind=gps&contentType=text/plain', 'kind=event&eventType=teleport', 'kind=gps&auth=oauth', 'kind=gps&extra=1'];
    for (const q of bad) expect(() => decodeExampleQuery(new URLSearchParams(q)), q).toThrow();
  });
});
