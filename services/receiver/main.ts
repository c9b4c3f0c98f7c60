import { runService } from '../shared/runtime/run-service.js';
import { loadConfig } from './config.js';
import { formatDelivery, SampleReceiver } from './sample-receiver.js';

// `npm run receiver -- --secret whsec_…`: prints one line per request that arrives.
runService({
  name: 'receiver',
  loadConfig: (env) => ({ ...loadConfig(env, process.argv.slice(2)), logLevel: 'info' as const }),
  shutdownDeadlineMs: () => 5_000,
  start: async ({ config }) => {
    const receiver = new SampleReceiver(config.secrets, (d) => process.stdout.write(`${new Date().toISOString()}  ${formatDelivery(d)}\n`));
    const port = await receiver.listen(config.port, config.host);
    process.stdout.write(`sample receiver on http://${config.host}:${port}/ — ${config.secrets.length === 0 ? 'no secret given: every signature will be reported BAD' : `verifying with ${config.secrets.length} secret(s)`}\n`);
    return { close: () => receiver.close() };
  },
});
