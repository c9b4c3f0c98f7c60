import { errorMessage } from '../shared/errors.js';
import { loadConfig } from './config.js';
import { formatDelivery, SampleReceiver } from './sample-receiver.js';

// `npm run receiver -- --secret whsec_…`: prints one line per request that arrives.
async function main(): Promise<void> {
  const config = loadConfig(process.env, process.argv.slice(2));
  const receiver = new SampleReceiver(config.secrets, (d) => process.stdout.write(`${new Date().toISOString()}  ${formatDelivery(d)}\n`));
  const port = await receiver.listen(config.port, config.host);
  process.stdout.write(`sample receiver on http://${config.host}:${port}/ — ${config.secrets.length === 0 ? 'no secret given: every signature will be reported BAD' : `verifying with ${config.secrets.length} secret(s)`}\n`);
  const stop = (): void => void receiver.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`receiver failed to start: ${errorMessage(err)}\n`);
  process.exit(1);
});
