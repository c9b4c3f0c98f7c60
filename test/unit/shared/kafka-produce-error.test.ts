import { KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError, KafkaJSConnectionError, KafkaJSAggregateError } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { classifyProduceError } from '../../../services/shared/kafka/produce-error.js';

/** What kafkajs' retrier does with a non-retriable error: `new KafkaJSNonRetriableError(e, { cause: e })` (its typings omit the options). */
const wrapped = (e: Error): Error => new (KafkaJSNonRetriableError as unknown as new (e: Error, o: { cause: unknown }) => Error)(e, { cause: e });
const protocol = (type: string, retriable: boolean) => new KafkaJSProtocolError({ type, code: 0, retriable, message: `${type} from the broker` } as unknown as Error);

describe('classifyProduceError', () => {
  it.each<[string, unknown, ReturnType<typeof classifyProduceError>]>([
    ['a timestamp the broker refuses, wrapped as kafkajs does', wrapped(protocol('INVALID_TIMESTAMP', false)), { kind: 'record', type: 'INVALID_TIMESTAMP' }],
    ['a record too large', protocol('MESSAGE_TOO_LARGE', false), { kind: 'record', type: 'MESSAGE_TOO_LARGE' }],
    ['a record batch too large', wrapped(protocol('RECORD_LIST_TOO_LARGE', false)), { kind: 'record', type: 'RECORD_LIST_TOO_LARGE' }],
    ['an invalid record inside an aggregate', new KafkaJSAggregateError('many', [new Error('other'), protocol('INVALID_RECORD', false)]), { kind: 'record', type: 'INVALID_RECORD' }],
    ['a leader change that outlived the retries', new KafkaJSNumberOfRetriesExceeded(protocol('NOT_LEADER_FOR_PARTITION', true), { retryCount: 5, retryTime: 1000, cause: protocol('NOT_LEADER_FOR_PARTITION', true) } as never), { kind: 'cluster' }],
    ['a connection error', new KafkaJSConnectionError('connection refused'), { kind: 'cluster' }],
    ['a missing topic', protocol('UNKNOWN_TOPIC_OR_PARTITION', true), { kind: 'cluster' }],
    ['not an error at all', 'boom', { kind: 'cluster' }],
    ['null', null, { kind: 'cluster' }],
  ])('%s', (_, err, expected) => {
    expect(classifyProduceError(err)).toEqual(expected);
  });

  it('ends on a cause cycle', () => {
    const a: { type?: string; cause?: unknown } = {};
    a.cause = { cause: a };
    expect(classifyProduceError(a)).toEqual({ kind: 'cluster' });
  });
});
