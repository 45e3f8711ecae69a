import { render } from '@testing-library/react';
import type { ReactElement } from 'react';
import { Client, fetchExchange, Provider, type RequestPolicy } from 'urql';
import { TokenContext } from '../../../web/src/api/exports';

/** One GraphQL request as the dashboard's urql client posts it. */
export interface GraphqlRequest {
  operationName: string;
  variables: Record<string, unknown>;
}

/**
 * Answers a request with the `data` of its response. What it returns goes out as is: `undefined`
 * makes a response without `data`, as a server that does not know the operation would send.
 */
export type AnswerGraphql = (request: GraphqlRequest) => unknown;

export interface FakeServerOptions {
  /** The bearer token the pages read from TokenContext; without it, no TokenContext is provided. */
  token?: string;
  /** The urql request policy; the dashboard's own client uses 'cache-and-network'. */
  requestPolicy?: RequestPolicy;
}

/** A fetch that parses each POSTed GraphQL request and answers 200 with JSON from `answer`. */
function fakeFetch(answer: AnswerGraphql) {
  return (_url: string, init: { body: string }): Promise<unknown> => {
    const request = JSON.parse(init.body) as GraphqlRequest;
    const body = JSON.stringify({ data: answer(request) });
    return Promise.resolve({
      status: 200,
      statusText: 'OK',
      ok: true,
      headers: { get: (name: string) => (name.toLowerCase() === 'content-type' ? 'application/json' : null) },
      text: () => Promise.resolve(body),
      json: () => Promise.resolve(JSON.parse(body)),
    });
  };
}

/**
 * Renders `ui` under a urql client whose fetch is a fake server: no network, every operation is
 * answered by name through `answer`, so the typed documents and the component's handling of the
 * data are exercised together.
 */
export function renderWithFakeServer(ui: ReactElement, answer: AnswerGraphql, options: FakeServerOptions = {}): void {
  const client = new Client({
    url: 'http://dmasim.test/graphql',
    exchanges: [fetchExchange],
    fetch: fakeFetch(answer) as unknown as typeof fetch,
    preferGetMethod: false,
    ...(options.requestPolicy ? { requestPolicy: options.requestPolicy } : {}),
  });
  const content =
    options.token === undefined ? ui : <TokenContext.Provider value={options.token}>{ui}</TokenContext.Provider>;
  render(<Provider value={client}>{content}</Provider>);
}
