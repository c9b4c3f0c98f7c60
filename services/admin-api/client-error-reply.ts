import { STATUS_CODES } from 'node:http';
import type { ErrorBody } from './error-response.js';

/**
 * What to answer when node:http itself cannot parse a request (a bad request line, NUL
 * in the target, headers over the size limit, a request that took too long): the API's
 * usual JSON error, written straight to the socket, which is then closed. Pure: the
 * error's `code` (llhttp's `HPE_*`, Node's, or `CONNECT` for a tunnel request) → the raw response bytes.
 */
export function clientErrorResponse(errorCode: string | undefined): string {
  const { status, body } = classify(errorCode);
  const json = JSON.stringify(body);
  return [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    'content-type: application/json; charset=utf-8',
    `content-length: ${Buffer.byteLength(json)}`,
    'cache-control: no-store',
    'connection: close',
    '',
    json,
  ].join('\r\n');
}

function classify(errorCode: string | undefined): { status: number; body: ErrorBody } {
  switch (errorCode) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, body: { code: 'header_fields_too_large', message: 'the request line and headers are larger than the server accepts', field: null } };
    case 'CONNECT':
      return { status: 405, body: { code: 'method_not_allowed', message: 'CONNECT is not supported', field: null } };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'HPE_HEADERS_TIMEOUT':
      return { status: 408, body: { code: 'request_timeout', message: 'the request was not received in time', field: null } };
    default:
      return { status: 400, body: { code: 'invalid_request', message: 'the request is not valid HTTP/1.1', field: null } };
  }
}
