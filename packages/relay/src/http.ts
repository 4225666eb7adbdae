/**
 * Plain HTTP requests (not upgrades): `/healthz`, `/metrics` and the web app's static
 * files, every answer with the security headers of DESIGN.md §3.10.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { RefusalReason } from './errors.js';
import { errorMessage, type Logger } from './log.js';
import type { RelayCounters } from './metrics.js';
import type { RelayHealth, RelayLimits } from './options.js';
import { resolveWebRoot, securityHeaders, serveStatic } from './static-files.js';
import { INDEX_FILE, readWebFiles, type WebFiles } from './web-files.js';

/** The one path that takes WebSocket upgrades. */
export const WS_PATH = '/ws';

/** The statuses the relay refuses a request or an upgrade with, and their reason phrases. */
export const HTTP_REFUSAL = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  426: 'Upgrade Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
} as const;
export type HttpRefusal = keyof typeof HTTP_REFUSAL;

/** What the HTTP side needs from the relay. */
interface HttpPort {
  readonly limits: Pick<RelayLimits, 'maxHeaderCount'>;
  readonly counters: Pick<RelayCounters, 'refuse'>;
  readonly metrics: Pick<Registry, 'metrics' | 'contentType'>;
  readonly log: Logger;
  health(): RelayHealth;
}

/** Where the web app comes from and which relays its pages may connect to. */
interface SiteOptions {
  readonly webRoot?: string | undefined;
  readonly connectSrc?: readonly string[] | undefined;
}

/** The server's 'request' listener, and a way to read the web app's files again. */
export interface HttpHandler {
  readonly listener: (req: IncomingMessage, res: ServerResponse) => void;
  /** Reads the web root again (SIGHUP): a new build is served from then on. */
  reloadWebFiles(): Promise<void>;
}

export function createHttpHandler(port: HttpPort, site: SiteOptions): HttpHandler {
  const headers = Object.entries(securityHeaders(site.connectSrc ?? []));
  const webRoot = resolveWebRoot(site.webRoot);
  if (webRoot === undefined) port.log.info('web_app_not_built', { hint: 'serving a placeholder page; build apps/web or pass --web-root' });
  let files = loadWebFiles(port.log, webRoot, undefined);
  return {
    listener: (req, res) => {
      for (const [name, value] of headers) res.setHeader(name, value);
      onRequest(port, files, req, res);
    },
    reloadWebFiles: async () => {
      const previous = await files;
      files = loadWebFiles(port.log, webRoot, previous);
      await files;
    },
  };
}

/** The web root's table; on failure the previous one stays (or none: the placeholder page). */
async function loadWebFiles(log: Logger, webRoot: string | undefined, previous: WebFiles | undefined): Promise<WebFiles | undefined> {
  if (webRoot === undefined) return undefined;
  try {
    const files = await readWebFiles(webRoot);
    if (files.get(`/${INDEX_FILE}`) === undefined) log.warn('web_root_without_index', { webRoot });
    log.debug('web_files_read', { webRoot, files: files.count });
    return files;
  } catch (err) {
    log.error('web_root_unreadable', { webRoot, message: errorMessage(err) });
    return previous;
  }
}

function onRequest(port: HttpPort, files: Promise<WebFiles | undefined>, req: IncomingMessage, res: ServerResponse): void {
  if (req.rawHeaders.length / 2 > port.limits.maxHeaderCount) {
    port.counters.refuse(RefusalReason.TOO_MANY_HEADERS);
    res.setHeader('Connection', 'close');
    plain(res, 431);
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    plain(res, 405);
    return;
  }
  const pathname = pathOf(req.url);
  if (pathname === '/healthz') {
    const health = port.health();
    const body = JSON.stringify(health);
    res.writeHead(health.status === 'ok' ? 200 : 503, {
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
    return;
  }
  if (pathname === '/metrics') {
    port.metrics
      .metrics()
      .then(
        (text) => {
          res.writeHead(200, { 'Content-Type': port.metrics.contentType, 'Cache-Control': 'no-store' });
          res.end(req.method === 'HEAD' ? undefined : text);
        },
        (err: unknown) => {
          port.log.error('metrics_failed', { message: errorMessage(err) });
          plain(res, 500);
        },
      )
      .catch((err: unknown) => port.log.error('metrics_failed', { message: errorMessage(err) }));
    return;
  }
  if (pathname === WS_PATH) {
    plain(res, 426);
    return;
  }
  files
    .then((table) => serveStatic(table, req, res, pathname))
    .catch((err: unknown) => {
      port.log.error('static_failed', { message: errorMessage(err) });
      if (!res.headersSent) plain(res, 500);
      else res.destroy();
    });
}

/** The path of a request target, without query or fragment (never logged). */
export function pathOf(url: string | undefined): string {
  if (url === undefined) return '/';
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

function plain(res: ServerResponse, status: HttpRefusal): void {
  const body = `${HTTP_REFUSAL[status]}\n`;
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
