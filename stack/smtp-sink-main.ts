/**
 * The SMTP sink as its own process (started by `stack:up`, see smtp-component.ts):
 * `node --import tsx stack/smtp-sink-main.ts --host H --smtp-port P --web-port W --data DIR
 *  [--reject REGEX] [--defer REGEX]`.
 */
import { parseArgs } from 'node:util';
import { errorMessage } from '../services/shared/errors.js';
import { startSmtpSink } from './smtp-sink.js';

const defaultRejectPattern = 'reject';
const defaultDeferPattern = 'tempfail';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      'smtp-port': { type: 'string' },
      'web-port': { type: 'string' },
      data: { type: 'string' },
      reject: { type: 'string', default: defaultRejectPattern },
      defer: { type: 'string', default: defaultDeferPattern },
    },
  });
  if (values['smtp-port'] === undefined || values['web-port'] === undefined || values.data === undefined) {
    throw new Error('usage: smtp-sink-main.ts --smtp-port P --web-port W --data DIR [--host H] [--reject RE] [--defer RE]');
  }
  const sink = await startSmtpSink({
    host: values.host,
    smtpPort: Number(values['smtp-port']),
    webPort: Number(values['web-port']),
    dataDir: values.data,
    rejectPattern: new RegExp(values.reject, 'i'),
    deferPattern: new RegExp(values.defer, 'i'),
  });
  process.stdout.write(`${JSON.stringify({ msg: 'smtp sink ready', smtpPort: sink.smtpPort, webPort: sink.webPort })}\n`);
  const stop = (): void => {
    sink.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`smtp sink failed to start: ${errorMessage(err)}\n`);
  process.exit(1);
});
