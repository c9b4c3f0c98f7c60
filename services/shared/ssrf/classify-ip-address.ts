import type { IpAddress } from './parse-ip-address.js';

export const blockedRanges = [
  'this_network', 'loopback', 'private', 'link_local', 'cloud_metadata', 'cgnat', 'unique_local',
  'multicast', 'reserved', 'documentation', 'ipv4_mapped', 'unspecified',
] as const;
export type BlockedRange = (typeof blockedRanges)[number];

export type AddressClass = { readonly kind: 'public' } | { readonly kind: 'blocked'; readonly range: BlockedRange };

interface Cidr {
  readonly prefix: readonly number[];
  readonly bits: number;
  readonly range: BlockedRange;
}

const v4 = (text: string, range: BlockedRange): Cidr => {
  const [addr = '', bits = '32'] = text.split('/');
  return { prefix: addr.split('.').map(Number), bits: Number(bits), range };
};

const ipv4Blocked: readonly Cidr[] = [
  v4('169.254.169.254/32', 'cloud_metadata'),
  v4('0.0.0.0/8', 'this_network'),
  v4('10.0.0.0/8', 'private'),
  v4('100.64.0.0/10', 'cgnat'),
  v4('127.0.0.0/8', 'loopback'),
  v4('169.254.0.0/16', 'link_local'),
  v4('172.16.0.0/12', 'private'),
  v4('192.0.0.0/24', 'reserved'),
  v4('192.0.2.0/24', 'documentation'),
  v4('192.88.99.0/24', 'reserved'),
  v4('192.168.0.0/16', 'private'),
  v4('198.18.0.0/15', 'reserved'),
  v4('198.51.100.0/24', 'documentation'),
  v4('203.0.113.0/24', 'documentation'),
  v4('224.0.0.0/4', 'multicast'),
  v4('240.0.0.0/4', 'reserved'),
];

const v6 = (prefix: number[], bits: number, range: BlockedRange): Cidr => ({ prefix, bits, range });
const zeros = (n: number): number[] => new Array<number>(n).fill(0);

// Order matters: the first match names the range.
const ipv6Blocked: readonly Cidr[] = [
  v6(zeros(16), 128, 'unspecified'),
  v6([...zeros(15), 1], 128, 'loopback'),
  v6([0xfe, 0x80], 10, 'link_local'),
  v6([0xfc], 7, 'unique_local'),
  v6([0xfe, 0xc0], 10, 'private'),
  v6([0xff], 8, 'multicast'),
  v6([0x20, 0x01, 0x0d, 0xb8], 32, 'documentation'),
  v6([0x20, 0x01, 0x00], 23, 'reserved'),
  v6([0x20, 0x02], 16, 'reserved'),
  v6([0x00, 0x64, 0xff, 0x9b, 0x00, 0x01], 48, 'reserved'),
];

/**
 * Classifies one address. IPv6 outside global unicast (2000::/3) is reserved; IPv4
 * embedded in IPv6 (mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`) is judged by the
 * embedded address, and mapped addresses are blocked even when public: a webhook has no
 * reason to use that form, and some stacks route it differently.
 */
export function classifyIpAddress(ip: IpAddress): AddressClass {
  if (ip.family === 4) return classifyWith(ip.bytes, ipv4Blocked) ?? { kind: 'public' };
  const embedded = embeddedIpv4(ip.bytes);
  if (embedded) {
    const inner = classifyWith(embedded.bytes, ipv4Blocked);
    if (inner) return inner;
    if (embedded.how === 'nat64') return { kind: 'public' };
    return { kind: 'blocked', range: embedded.how === 'mapped' ? 'ipv4_mapped' : 'reserved' };
  }
  const hit = classifyWith(ip.bytes, ipv6Blocked);
  if (hit) return hit;
  const firstByte = ip.bytes[0] ?? 0;
  return (firstByte & 0xe0) === 0x20 ? { kind: 'public' } : { kind: 'blocked', range: 'reserved' };
}

export function embeddedIpv4(bytes: readonly number[]): { how: 'mapped' | 'nat64' | 'compatible'; bytes: number[] } | null {
  const head = (n: number): number[] => bytes.slice(0, n) as number[];
  const tail = bytes.slice(12) as number[];
  if (head(10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return { how: 'mapped', bytes: tail };
  if (matches(bytes, [0x00, 0x64, 0xff, 0x9b, ...zeros(8)], 96)) return { how: 'nat64', bytes: tail };
  if (head(12).every((b) => b === 0) && !(tail[0] === 0 && tail[1] === 0 && tail[2] === 0)) return { how: 'compatible', bytes: tail };
  return null;
}

function classifyWith(bytes: readonly number[], table: readonly Cidr[]): AddressClass | null {
  const hit = table.find((c) => matches(bytes, c.prefix, c.bits));
  return hit ? { kind: 'blocked', range: hit.range } : null;
}

/** Whether the first `bits` bits of `bytes` equal those of `prefix`. */
export function matches(bytes: readonly number[], prefix: readonly number[], bits: number): boolean {
  for (let i = 0; i * 8 < bits; i++) {
    const take = Math.min(8, bits - i * 8);
    const mask = (0xff << (8 - take)) & 0xff;
    if (((bytes[i] ?? 0) & mask) !== ((prefix[i] ?? 0) & mask)) return false;
  }
  return true;
}
