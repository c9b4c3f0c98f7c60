import { lookup as dnsLookup } from 'node:dns';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { FleethookError } from '../errors.js';
import { AddressAllowList } from './address-allow-list.js';
import { classifyIpAddress } from './classify-ip-address.js';
import type { BlockedRange } from './classify-ip-address.js';
import { parseIpAddress } from './parse-ip-address.js';
import type { IpAddress } from './parse-ip-address.js';

export type HostCheck =
  | { readonly kind: 'allowed'; readonly addresses: readonly string[] }
  | { readonly kind: 'blocked'; readonly address: string; readonly range: BlockedRange }
  | { readonly kind: 'unresolvable'; readonly code: string };

/** Thrown from the socket lookup when a connection would reach a blocked address. */
export class SsrfBlockedError extends FleethookError {
  constructor(readonly hostname: string, readonly address: string, readonly range: BlockedRange) {
    super('SSRF_BLOCKED', `${hostname} resolves to ${address}, which is not allowed (${range.replace(/_/g, '-')} address)`);
    this.name = 'SsrfBlockedError';
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
export type Resolver = (hostname: string, options: LookupOptions & { all: true }, cb: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

/**
 * Decides whether fleethook may connect to a host. Used twice: when a URL is registered
 * (a clear 4xx for the owner) and inside every outgoing connection through `lookup`
 * (DNS may have changed since, or answer differently per query — DNS rebinding). Every
 * resolved address must be allowed; one blocked address rejects the host.
 */
export class SsrfGuard {
  constructor(
    private readonly allowList: AddressAllowList = AddressAllowList.empty(),
    private readonly resolve: Resolver = (hostname, options, cb) => dnsLookup(hostname, options, cb),
  ) {}

  classifyAddress(ip: IpAddress): { kind: 'allowed' } | { kind: 'blocked'; range: BlockedRange } {
    if (this.allowList.allowsAddress(ip)) return { kind: 'allowed' };
    const c = classifyIpAddress(ip);
    return c.kind === 'public' ? { kind: 'allowed' } : c;
  }

  /** Checks an IP literal synchronously; null when `hostname` is a name that needs DNS. */
  checkLiteral(hostname: string): HostCheck | null {
    const ip = parseIpAddress(hostname);
    if (!ip) return null;
    const c = this.classifyAddress(ip);
    return c.kind === 'allowed' ? { kind: 'allowed', addresses: [hostname] } : { kind: 'blocked', address: hostname, range: c.range };
  }

  async checkHost(hostname: string): Promise<HostCheck> {
    const literal = this.checkLiteral(hostname);
    if (literal) return literal;
    if (this.allowList.allowsHost(hostname)) return { kind: 'allowed', addresses: [] };
    return new Promise((resolve) => {
      this.resolve(hostname, { all: true }, (err, addresses) => {
        if (err) resolve({ kind: 'unresolvable', code: err.code ?? 'ENOTFOUND' });
        else resolve(this.judge(addresses));
      });
    });
  }

  /** A `lookup` for `net.connect`/`tls.connect` (and so for undici's `connect` option). */
  readonly lookup = (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    this.resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const verdict = this.allowList.allowsHost(hostname) ? { kind: 'allowed' as const, addresses: [] } : this.judge(addresses);
      if (verdict.kind === 'blocked') return callback(new SsrfBlockedError(hostname, verdict.address, verdict.range), []);
      if (options.all === true) return callback(null, addresses);
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), []);
      return callback(null, first.address, first.family);
    });
  };

  private judge(addresses: readonly LookupAddress[]): HostCheck {
    for (const a of addresses) {
      const ip = parseIpAddress(a.address);
      const c = ip ? this.classifyAddress(ip) : ({ kind: 'blocked', range: 'reserved' } as const);
      if (c.kind === 'blocked') return { kind: 'blocked', address: a.address, range: c.range };
    }
    return { kind: 'allowed', addresses: addresses.map((a) => a.address) };
  }
}
