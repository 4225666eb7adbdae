/**
 * Reading the request headers that choose a response: `Accept-Encoding` (which content
 * coding, RFC 9110 §12.5.3) and `If-None-Match` (whether the client's copy is current,
 * §13.1.2). Pure functions over header strings: they never throw on what a client sends.
 */

/** A qvalue is at most 1 with three decimals (RFC 9110 §12.4.2). */
const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/u;
/** One entity tag in an If-None-Match list, weak or strong (no quotes inside, §8.8.3). */
const ENTITY_TAG = /(?:W\/)?"[^"]*"/gu;
/** `x-gzip` is gzip under an old name (§18.6). */
const ALIASES: Record<string, string> = { 'x-gzip': 'gzip' };

/** The weight (0..1) the client gives each coding it named, and `*` for the rest. */
function weights(header: string): Map<string, number> {
  const result = new Map<string, number>();
  for (const element of header.split(',')) {
    const [name = '', ...params] = element.split(';').map((part) => part.trim());
    const coding = name.toLowerCase();
    if (coding === '') continue;
    let weight = 1;
    for (const param of params) {
      const [key = '', value = ''] = param.split('=').map((part) => part.trim());
      if (key.toLowerCase() !== 'q') continue;
      // A malformed weight makes the element unreadable: it is ignored, not guessed at.
      weight = QVALUE.test(value) ? Number(value) : NaN;
    }
    if (!Number.isNaN(weight)) result.set(ALIASES[coding] ?? coding, Math.max(weight, result.get(ALIASES[coding] ?? coding) ?? 0));
  }
  return result;
}

/**
 * The coding to send, from `available` (in the server's order of preference), or undefined
 * for the file as it is ("identity"). The highest weight wins, a tie goes to the server's
 * order, and identity wins only when the client weighs it above every coding. No header,
 * or an empty one: identity (a client that names no coding may decode none). A client
 * that refuses everything still gets identity rather than a 406.
 */
export function chooseEncoding<C extends string>(header: string | undefined, available: readonly C[]): C | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  const given = weights(header);
  const star = given.get('*');
  const weightOf = (coding: string): number => given.get(coding) ?? star ?? 0;
  // Identity the client did not weigh is acceptable but least preferred (§12.5.3): any
  // coding it weighs above zero beats it.
  const identity = given.get('identity') ?? star ?? 0;
  let best: C | undefined;
  let bestWeight = 0;
  for (const coding of available) {
    const weight = weightOf(coding);
    if (weight > bestWeight) {
      best = coding;
      bestWeight = weight;
    }
  }
  // A coding weighed below identity is not chosen; at an equal weight the coded copy is
  // (the client takes both alike, and the copy is smaller).
  return best !== undefined && bestWeight >= identity ? best : undefined;
}

/**
 * Whether an If-None-Match header names `etag` (or is `*`): then a GET or HEAD is
 * answered 304. The comparison is weak, as §13.1.2 requires for this header: `W/"x"`
 * matches `"x"`.
 */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  const opaque = etag.replace(/^W\//u, '');
  for (const tag of header.match(ENTITY_TAG) ?? []) {
    if (tag.replace(/^W\//u, '') === opaque) return true;
  }
  return false;
}
