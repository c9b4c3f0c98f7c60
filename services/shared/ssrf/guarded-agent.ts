import { Agent, buildConnector } from 'undici';
import type { SsrfGuard } from './ssrf-guard.js';
import { SsrfBlockedError } from './ssrf-guard.js';

export interface GuardedAgentOptions {
  readonly connectTimeoutMs?: number;
  readonly keepAliveTimeoutMs?: number;
  /** Sockets per origin (undici `connections`); unlimited when absent. */
  readonly connectionsPerOrigin?: number;
}

/**
 * An undici Agent whose every socket goes through the SSRF guard when it connects:
 * names are resolved by the guard's `lookup` (so the checked address is the one used),
 * and IP literals — which `net.connect` never looks up — are checked here first.
 */
export function createGuardedAgent(guard: SsrfGuard, options: GuardedAgentOptions = {}): Agent {
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const inner = buildConnector({ lookup: guard.lookup, timeout: connectTimeoutMs });
  const connect: buildConnector.connector = (opts, callback) => {
    const literal = guard.checkLiteral(opts.hostname);
    if (literal?.kind === 'blocked') {
      callback(new SsrfBlockedError(opts.hostname, literal.address, literal.range), null);
      return;
    }
    inner(opts, callback);
  };
  return new Agent({
    connect,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 4_000,
    ...(options.connectionsPerOrigin === undefined ? {} : { connections: options.connectionsPerOrigin }),
  });
}
