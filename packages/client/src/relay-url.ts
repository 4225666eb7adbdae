/** Relay addresses: the WebSocket endpoint rooms connect to, and the http(s) base invites point to. */

/** Normalises a relay address to its WebSocket endpoint (`…/ws`). */
export function toWebSocketUrl(relayUrl: string): string {
  const url = new URL(relayUrl);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  if (!url.pathname.endsWith('/ws')) url.pathname = url.pathname.replace(/\/?$/, '/ws');
  url.hash = '';
  return url.toString();
}

/** The http(s) form of a relay address, for invite links. */
export function httpBase(url: string): string {
  const parsed = new URL(url);
  if (parsed.protocol === 'ws:') parsed.protocol = 'http:';
  else if (parsed.protocol === 'wss:') parsed.protocol = 'https:';
  parsed.pathname = parsed.pathname.replace(/\/ws$/, '/');
  parsed.hash = '';
  return parsed.toString();
}
