// The federation reads the Knowledge Base through its public REST API, as the dashboard and any script do:
// over HTTPS with the deployment's CA pinned when the federation is secure.
import { request } from "node:https";

/** GET `url`; over HTTPS, the server must present a certificate of `caPem`. Resolves status and body. */
export async function httpGet(
  url: string,
  options: { caPem?: string; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<{ status: number; body: string }> {
  const timeoutMs = options.timeoutMs ?? 5000;
  if (!url.startsWith("https:")) {
    const res = await fetch(url, { headers: options.headers, signal: AbortSignal.timeout(timeoutMs) });
    return { status: res.status, body: await res.text() };
  }
  return new Promise((resolve, reject) => {
    const req = request(url, { ca: options.caPem, headers: options.headers, timeout: timeoutMs }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => {
        body += d;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${url}: no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end();
  });
}

export class KbRestError extends Error {
  override name = "KbRestError";
  constructor(
    readonly path: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`GET ${path}: HTTP ${status} ${body.slice(0, 200)}`);
  }
}

export class KbRest {
  constructor(
    readonly baseUrl: string,
    readonly token: string,
    /** the deployment's CA (PEM) for an https:// base URL */
    readonly caPem?: string,
  ) {}

  async request<T>(path: string): Promise<T> {
    const res = await httpGet(`${this.baseUrl}${path}`, {
      headers: { authorization: `Bearer ${this.token}` },
      ...(this.caPem ? { caPem: this.caPem } : {}),
    });
    if (res.status < 200 || res.status >= 300) throw new KbRestError(path, res.status, res.body);
    return JSON.parse(res.body) as T;
  }

  /** One resource, or undefined when it does not exist (404). */
  async get<T>(collection: string, name: string): Promise<T | undefined> {
    try {
      return await this.request<T>(`/api/v1/${collection}/${encodeURIComponent(name)}`);
    } catch (err) {
      if (err instanceof KbRestError && err.status === 404) return undefined;
      throw err;
    }
  }

  async list<T>(collection: string): Promise<T[]> {
    const page = await this.request<{ items: T[] }>(`/api/v1/${collection}?pageSize=1000`);
    return page.items;
  }
}
