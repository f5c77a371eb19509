/**
 * One HTTP(S) request to a relay on loopback, on a fresh connection, with the path sent as
 * written (fetch would resolve `..` and refuse some Host headers), answered with status,
 * headers and body.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { within } from './wait';

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  bytes: Buffer;
}

export interface HttpRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  /** Over TLS, trusting this CA (the certificate is for localhost and 127.0.0.1). */
  ca?: string;
}

export function requestRelay(port: number, path: string, options: HttpRequestOptions = {}): Promise<HttpAnswer> {
  const { method = 'GET', headers = {}, ca } = options;
  const send = ca === undefined ? httpRequest : httpsRequest;
  return within(
    new Promise<HttpAnswer>((resolve, reject) => {
      const request = send({ host: '127.0.0.1', port, path, method, headers, agent: false, ...(ca === undefined ? {} : { ca, servername: 'localhost' }) }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const bytes = Buffer.concat(chunks);
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: bytes.toString('utf8'), bytes });
        });
        response.on('error', reject);
      });
      request.on('error', reject);
      request.end();
    }),
    5000,
    `${method} ${path.slice(0, 80)}`,
  );
}
