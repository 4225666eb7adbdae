/**
 * Reading the request headers that choose a response: `Accept-Encoding` (which content
 * coding, RFC 9110 §12.5.3) and `If-None-Match` (whether the client's copy is current,
 * §13.1.2). Both are the jshttp libraries Express and `send` use (`negotiator`, `fresh`);
 * this module only states the relay's policy on top of them and never throws on what a
 * client sends.
 */
import fresh from 'fresh';
import Negotiator from 'negotiator';

const IDENTITY = 'identity';
/** negotiator ≥ 1.0 breaks ties by the server's order (`preferred`); @types/negotiator predates that option. */
type EncodingChooser = (this: Negotiator, available: string[], options: { preferred: string[] }) => string | undefined;

/**
 * The coding to send, from `available` (in the server's order of preference), or undefined
 * for the file as it is ("identity"). The highest weight wins and a tie goes to the
 * server's order; identity the client did not weigh is acceptable but least preferred. No
 * header, or an empty one: identity (a client that names no coding may decode none). A
 * client that refuses everything still gets identity rather than a 406.
 */
export function chooseEncoding<C extends string>(header: string | undefined, available: readonly C[]): C | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  const offered = [...available, IDENTITY];
  const negotiator = new Negotiator({ headers: { 'accept-encoding': header } });
  const chosen = (negotiator.encoding as EncodingChooser).call(negotiator, offered, { preferred: offered });
  return available.find((coding) => coding === chosen);
}

/**
 * Whether an If-None-Match header names `etag` (or is `*`): then a GET or HEAD is
 * answered 304. The comparison is weak, as §13.1.2 requires for this header: `W/"x"`
 * matches `"x"`.
 */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return fresh({ 'if-none-match': header.trim() }, { etag });
}
