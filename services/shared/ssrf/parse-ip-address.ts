import { isIPv4, isIPv6 } from 'node:net';

export type IpAddress =
  | { readonly family: 4; readonly bytes: readonly number[] }
  | { readonly family: 6; readonly bytes: readonly number[] };

/**
 * Parses a host as an IP literal, including the legacy inet_aton spellings that
 * resolvers and some HTTP stacks still accept: `2130706433`, `0x7f.1`, `0177.0.0.1`,
 * `127.1`. Returns null for anything that is a name. Brackets around IPv6 are allowed.
 */
export function parseIpAddress(host: string): IpAddress | null {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (isIPv6(h)) return { family: 6, bytes: ipv6Bytes(h) };
  if (isIPv4(h)) return { family: 4, bytes: h.split('.').map(Number) };
  return parseInetAton(h);
}

export function formatIpAddress(ip: IpAddress): string {
  if (ip.family === 4) return ip.bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((ip.bytes[i] ?? 0) << 8) | (ip.bytes[i + 1] ?? 0)).toString(16));
  return groups.join(':');
}

function parseInetAton(h: string): IpAddress | null {
  const parts = h.split('.');
  if (parts.length > 4 || parts.some((p) => p === '')) return null;
  const nums = parts.map(parseAtonPart);
  if (nums.some((n) => n === null)) return null;
  const values = nums as number[];
  const last = values[values.length - 1] as number;
  const head = values.slice(0, -1);
  if (head.some((n) => n > 255)) return null;
  const lastBytes = 4 - head.length;
  if (last >= 2 ** (8 * lastBytes)) return null;
  const tail: number[] = [];
  for (let i = lastBytes - 1; i >= 0; i--) tail.push(Math.floor(last / 2 ** (8 * i)) % 256);
  return { family: 4, bytes: [...head, ...tail] };
}

function parseAtonPart(p: string): number | null {
  if (/^0x[0-9a-f]*$/i.test(p)) return p.length === 2 ? 0 : parseInt(p.slice(2), 16);
  if (/^0[0-7]+$/.test(p)) return parseInt(p.slice(1), 8);
  if (/^(0|[1-9][0-9]*)$/.test(p)) return Number(p);
  return null;
}

function ipv6Bytes(h: string): number[] {
  let text = h.split('%')[0] ?? h;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  let tailBytes: number[] = [];
  if (v4?.[1]) {
    tailBytes = v4[1].split('.').map(Number);
    text = text.slice(0, -v4[1].length) + '0:0';
  }
  const [left = '', right] = text.split('::');
  const toGroups = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const leftGroups = toGroups(left);
  const rightGroups = right === undefined ? [] : toGroups(right);
  const groups = [...leftGroups, ...new Array<number>(8 - leftGroups.length - rightGroups.length).fill(0), ...rightGroups];
  const bytes = groups.flatMap((g) => [g >> 8, g & 0xff]);
  if (tailBytes.length === 4) bytes.splice(12, 4, ...tailBytes);
  return bytes;
}
