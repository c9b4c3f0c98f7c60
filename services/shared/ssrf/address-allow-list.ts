import { matches } from './classify-ip-address.js';
import { parseIpAddress } from './parse-ip-address.js';
import type { IpAddress } from './parse-ip-address.js';

interface AllowedCidr {
  readonly family: 4 | 6;
  readonly prefix: readonly number[];
  readonly bits: number;
}

/**
 * Operator exceptions to the SSRF rules: CIDRs (`127.0.0.0/8`, `::1/128`, `10.1.2.3`)
 * and host names (`hooks.internal.example`, or `*.internal.example` for subdomains).
 * An allowed host name is trusted whatever it resolves to.
 */
export class AddressAllowList {
  private constructor(
    private readonly cidrs: readonly AllowedCidr[],
    private readonly hosts: readonly string[],
  ) {}

  static empty(): AddressAllowList {
    return new AddressAllowList([], []);
  }

  /** Parses entries, returning the problems (one per bad entry) instead of throwing. */
  static parse(entries: readonly string[]): { allowList: AddressAllowList; problems: string[] } {
    const cidrs: AllowedCidr[] = [];
    const hosts: string[] = [];
    const problems: string[] = [];
    for (const entry of entries) {
      const [addr = '', bitsText] = entry.split('/');
      const ip = parseIpAddress(addr);
      if (ip) {
        const max = ip.family === 4 ? 32 : 128;
        const bits = bitsText === undefined ? max : Number(bitsText);
        if (!Number.isInteger(bits) || bits < 0 || bits > max) problems.push(`"${entry}" has an invalid prefix length`);
        else cidrs.push({ family: ip.family, prefix: ip.bytes, bits });
      } else if (bitsText === undefined && /^(\*\.)?[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i.test(entry)) {
        hosts.push(entry.toLowerCase());
      } else {
        problems.push(`"${entry}" is neither a CIDR nor a host name`);
      }
    }
    return { allowList: new AddressAllowList(cidrs, hosts), problems };
  }

  allowsAddress(ip: IpAddress): boolean {
    return this.cidrs.some((c) => c.family === ip.family && matches(ip.bytes, c.prefix, c.bits));
  }

  allowsHost(hostname: string): boolean {
    const h = hostname.toLowerCase().replace(/\.$/, '');
    return this.hosts.some((allowed) => (allowed.startsWith('*.') ? h.endsWith(allowed.slice(1)) : h === allowed));
  }
}
