// The federation reads the Knowledge Base through its public REST API, as the dashboard and any script do.

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
  ) {}

  async request<T>(path: string): Promise<T> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      headers: { authorization: `Bearer ${this.token}` },
      signal: AbortSignal.timeout(5000),
    });
    const body = await res.text();
    if (!res.ok) throw new KbRestError(path, res.status, body);
    return JSON.parse(body) as T;
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
