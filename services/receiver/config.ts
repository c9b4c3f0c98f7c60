import { EnvReader } from '../shared/env-reader.js';

export interface ReceiverConfig {
  readonly host: string;
  readonly port: number;
  /** Signing secrets accepted (several during a rotation); empty = print but cannot verify. */
  readonly secrets: readonly string[];
}

/**
 * `FLEETHOOK_RECEIVER_PORT` (9000), `FLEETHOOK_RECEIVER_HOST` (127.0.0.1),
 * `FLEETHOOK_RECEIVER_SECRETS` (`whsec_…[,whsec_…]`); `--secret whsec_…` and
 * `--port N` on the command line override them.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>, argv: readonly string[] = []): ReceiverConfig {
  const r = new EnvReader(env, 'FLEETHOOK_RECEIVER_');
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if ((flag === '--secret' || flag === '--port') && value !== undefined) {
      args.set(flag, value);
      i++;
    } else if (flag !== undefined) {
      r.problem(`unknown argument "${flag}" (use --secret whsec_… and --port N)`);
    }
  }
  const port = args.has('--port') ? Number(args.get('--port')) : r.int('PORT', 9_000, { min: 0, max: 65_535 });
  if (!Number.isInteger(port) || port < 0 || port > 65_535) r.problem('--port must be an integer between 0 and 65535');
  const secrets = args.has('--secret') ? [args.get('--secret') ?? ''] : r.list('SECRETS', []);
  for (const s of secrets) if (!/^whsec_[A-Za-z0-9+/]+={0,2}$/.test(s)) r.problem('secrets must look like whsec_<base64>');
  const config: ReceiverConfig = { host: r.string('HOST', '127.0.0.1'), port, secrets };
  r.finish();
  return config;
}
