export interface GraphqlErrorShape {
  message: string;
  path?: Array<string | number>;
  extensions?: { code?: string; [key: string]: unknown };
}

export interface GraphqlResponse<T> {
  status: number;
  data?: T | null;
  errors?: GraphqlErrorShape[];
}

/** A GraphQL client over real HTTP, as a browser or integration would call the platform. */
export class GraphqlClient {
  constructor(
    readonly url: string,
    readonly token: string | null,
  ) {}

  async request<T = any>(query: string, variables?: Record<string, unknown>): Promise<GraphqlResponse<T>> {
    const res = await fetch(this.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
      },
      body: JSON.stringify({ query, variables }),
    });
    const text = await res.text();
    let body: { data?: T | null; errors?: GraphqlErrorShape[] };
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`GraphQL endpoint answered ${res.status} with non-JSON: ${text.slice(0, 200)}`);
    }
    return { status: res.status, data: body.data, errors: body.errors };
  }

  /** Like request(), but throws with the error codes when the response has errors. */
  async query<T = any>(query: string, variables?: Record<string, unknown>): Promise<T> {
    const res = await this.request<T>(query, variables);
    if (res.errors?.length) {
      const summary = res.errors.map((e) => `${e.extensions?.code ?? '?'}: ${e.message}`).join('; ');
      throw new Error(`GraphQL errors: ${summary}`);
    }
    return res.data as T;
  }

  /** Expects the call to fail with `code`; returns the first error for further assertions. */
  async expectError(code: string, query: string, variables?: Record<string, unknown>): Promise<GraphqlErrorShape> {
    const res = await this.request(query, variables);
    const error = res.errors?.find((e) => e.extensions?.code === code);
    if (!error) {
      throw new Error(`expected a ${code} error, got ${JSON.stringify(res.errors ?? res.data)}`);
    }
    return error;
  }
}
