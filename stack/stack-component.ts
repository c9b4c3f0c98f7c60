import type { DetachedCommand } from './process-control.js';

/** A process the stack starts, watches and stops. */
export interface StackComponent {
  /** Names the pid file and the log: `kafka`, `registry`, `redis`, `cluster-node-2`. */
  readonly name: string;
  readonly host: string;
  /** The port that answers when the component is up. */
  readonly port: number;
  /** Where clients reach it, for humans. */
  readonly endpoint: string;
  readonly logFile: string;
  /** A string only this component's command line contains (its config path, say). */
  readonly marker: string;
  /**
   * Substrings that any fleethook copy of this component has in its command line, whatever
   * its stack home: how `--take-over` recognises a leftover stack from another checkout.
   */
  readonly family: readonly string[];
  readonly readyTimeoutMs: number;
  /** Fetch what is missing, format storage, write config files. Idempotent. */
  prepare(): Promise<void>;
  command(): DetachedCommand;
  /** True when it answers for real (metadata, HTTP 200, PONG), not just a bound port. */
  probe(): Promise<boolean>;
  /** One-off setup once it answers, e.g. the registry's global compatibility rule. */
  afterReady?(): Promise<void>;
}
