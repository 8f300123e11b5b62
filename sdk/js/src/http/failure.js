// Why an HTTP request got no answer, as a transport reports it to the
// client: HttpFailure, thrown by the host's `httpSend` (the wasi:http
// transport in a component, the test kit's mocks under Node). The client
// turns each into an HttpError naming the URL.
//
// Not for department code: it sees HttpErrors only.

/** Kinds: denied, refused, timeout, unreachable, protocol, too-large. */
export class HttpFailure extends Error {
  /**
   * @param {'denied' | 'refused' | 'timeout' | 'unreachable' | 'protocol' | 'too-large'} kind
   * @param {string} [detail] which timeout, or the wasi:http error code
   */
  constructor(kind, detail = '') {
    super(detail ? `${kind}: ${detail}` : kind);
    this.name = 'HttpFailure';
    this.kind = kind;
    this.detail = detail;
  }
}
