// Fake `wasi:http/outgoing-handler@0.2.12`: records what was sent and
// answers from `wit.answers`, failing as a host does (an error code thrown
// by handle, or carried by the future).
import { wit, ComponentError } from './state.js';
import { FutureIncomingResponse, IncomingResponse } from './wasi-http-types.js';

const enc = new TextEncoder();

export function handle(request, options) {
  const answer = wit.answers.shift() ?? { status: 200, headers: [], body: '' };
  const record = { request, options, body: () => Uint8Array.from(request.outgoingBody.bytes) };
  wit.sent.push(record);
  if (answer.handleError) throw new ComponentError(answer.handleError);
  if (answer.futureError) return new FutureIncomingResponse({ tag: 'err', val: answer.futureError });
  const body = typeof answer.body === 'string' ? enc.encode(answer.body) : answer.body;
  const headers = answer.headers.map(([n, v]) => [n, enc.encode(v)]);
  return new FutureIncomingResponse({ tag: 'ok', val: new IncomingResponse(answer.status, headers, body) });
}
