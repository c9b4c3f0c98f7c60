import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { AddressAllowList } from '../../../services/shared/ssrf/address-allow-list.js';
import { classifyIpAddress } from '../../../services/shared/ssrf/classify-ip-address.js';
import { parseIpAddress } from '../../../services/shared/ssrf/parse-ip-address.js';
import { SsrfGuard } from '../../../services/shared/ssrf/ssrf-guard.js';
import type { Resolver } from '../../../services/shared/ssrf/ssrf-guard.js';

function classify(host: string): string {
  const ip = parseIpAddress(host);
  if (!ip) return 'not-an-ip';
  const c = classifyIpAddress(ip);
  return c.kind === 'public' ? 'public' : c.range;
}

describe('IP literal parsing', () => {
  it.each([
    ['127.0.0.1', [127, 0, 0, 1]],
    ['2130706433', [127, 0, 0, 1]],
    ['0x7f.1', [127, 0, 0, 1]],
    ['0x7f000001', [127, 0, 0, 1]],
    ['0177.0.0.1', [127, 0, 0, 1]],
    ['127.1', [127, 0, 0, 1]],
    ['10.1.258', [10, 1, 1, 2]],
    ['3232235777', [192, 168, 1, 1]],
    ['0', [0, 0, 0, 0]],
  ])('%s → %j', (host, bytes) => {
    expect(parseIpAddress(host)).toEqual({ family: 4, bytes });
  });

  it.each(['example.com', '256.1.1.1.1', '4294967296', '08.1.1.1', '1..1', 'localhost'])('%s is not an IPv4 literal', (host) => {
    expect(parseIpAddress(host)).toBeNull();
  });

  it('parses IPv6 including embedded IPv4 and brackets', () => {
    expect(parseIpAddress('[::1]')?.bytes).toEqual([...new Array(15).fill(0), 1]);
    expect(parseIpAddress('::ffff:127.0.0.1')?.bytes.slice(10)).toEqual([0xff, 0xff, 127, 0, 0, 1]);
    expect(parseIpAddress('2001:db8::8:800:200c:417a')?.bytes.slice(0, 4)).toEqual([0x20, 0x01, 0x0d, 0xb8]);
  });
});

describe('address classification', () => {
  it.each([
    ['127.0.0.1', 'loopback'], ['127.255.255.254', 'loopback'], ['2130706433', 'loopback'], ['0x7f.1', 'loopback'],
    ['10.0.0.1', 'private'], ['172.16.0.1', 'private'], ['172.31.255.255', 'private'], ['192.168.1.1', 'private'],
    ['169.254.169.254', 'cloud_metadata'], ['169.254.1.1', 'link_local'], ['2852039166', 'cloud_metadata'],
    ['100.64.0.1', 'cgnat'], ['100.127.255.255', 'cgnat'], ['0.0.0.0', 'this_network'], ['0.1.2.3', 'this_network'],
    ['224.0.0.1', 'multicast'], ['239.255.255.250', 'multicast'], ['240.0.0.1', 'reserved'], ['255.255.255.255', 'reserved'],
    ['192.0.2.1', 'documentation'], ['198.18.0.1', 'reserved'],
    ['::1', 'loopback'], ['::', 'unspecified'], ['fe80::1', 'link_local'], ['febf::1', 'link_local'],
    ['fc00::1', 'unique_local'], ['fd12:3456::1', 'unique_local'], ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'], ['::ffff:7f00:1', 'loopback'], ['::ffff:169.254.169.254', 'cloud_metadata'],
    ['::ffff:8.8.8.8', 'ipv4_mapped'], ['64:ff9b::10.0.0.1', 'private'], ['::127.0.0.1', 'loopback'], ['::8.8.8.8', 'reserved'],
    ['2001:db8::1', 'documentation'], ['2002:7f00:1::', 'reserved'], ['100::1', 'reserved'],
  ])('%s is %s', (host, range) => {
    expect(classify(host)).toBe(range);
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '169.255.0.1', '2606:4700:4700::1111', '64:ff9b::8.8.8.8'])('%s is public', (host) => {
    expect(classify(host)).toBe('public');
  });
});

const fakeDns = (answers: Record<string, string[]>): Resolver => (hostname, _options, cb) => {
  const list = answers[hostname];
  if (!list) {
    cb(Object.assign(new Error('not found'), { code: 'ENOTFOUND' }), []);
    return;
  }
  cb(null, list.map((address): LookupAddress => ({ address, family: address.includes(':') ? 6 : 4 })));
};

describe('SsrfGuard', () => {
  const dns = fakeDns({
    'public.test': ['93.184.216.34', '2606:2800:220:1::1'],
    'rebind.test': ['93.184.216.34', '127.0.0.1'],
    'metadata.test': ['169.254.169.254'],
    'v6local.test': ['fd00::1'],
    'internal.example': ['10.0.0.5'],
  });

  it('allows names that resolve only to public addresses', async () => {
    expect(await new SsrfGuard(undefined, dns).checkHost('public.test')).toEqual({ kind: 'allowed', addresses: ['93.184.216.34', '2606:2800:220:1::1'] });
  });

  it('blocks a name if any of its addresses is blocked', async () => {
    const guard = new SsrfGuard(undefined, dns);
    expect(await guard.checkHost('rebind.test')).toEqual({ kind: 'blocked', address: '127.0.0.1', range: 'loopback' });
    expect(await guard.checkHost('metadata.test')).toMatchObject({ kind: 'blocked', range: 'cloud_metadata' });
    expect(await guard.checkHost('v6local.test')).toMatchObject({ kind: 'blocked', range: 'unique_local' });
    expect(await guard.checkHost('nope.test')).toEqual({ kind: 'unresolvable', code: 'ENOTFOUND' });
  });

  it('lets the operator allow-list CIDRs and host names', async () => {
    const { allowList, problems } = AddressAllowList.parse(['127.0.0.0/8', '::1', '*.example']);
    expect(problems).toEqual([]);
    const guard = new SsrfGuard(allowList, dns);
    expect((await guard.checkHost('127.0.0.1')).kind).toBe('allowed');
    expect((await guard.checkHost('[::1]')).kind).toBe('allowed');
    expect((await guard.checkHost('internal.example')).kind).toBe('allowed');
    expect((await guard.checkHost('10.0.0.1')).kind).toBe('blocked');
    expect(AddressAllowList.parse(['10.0.0.0/33', 'not a host']).problems).toHaveLength(2);
  });

  it('refuses blocked addresses in the socket lookup, in both callback shapes', async () => {
    const guard = new SsrfGuard(undefined, dns);
    const viaLookup = (host: string, all: boolean): Promise<unknown> =>
      new Promise((resolve) => guard.lookup(host, { all }, (err, address) => resolve(err ? (err as { code?: string }).code : address)));
    expect(await viaLookup('rebind.test', true)).toBe('SSRF_BLOCKED');
    expect(await viaLookup('rebind.test', false)).toBe('SSRF_BLOCKED');
    expect(await viaLookup('public.test', false)).toBe('93.184.216.34');
    expect(await viaLookup('public.test', true)).toHaveLength(2);
  });
});
