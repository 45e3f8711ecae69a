import { downloadExport } from '../../web/src/api/exports';

// Export downloads: the bearer token goes in a header (links cannot carry it), the answer is saved
// as a blob under the given name, and a refusal comes back as the server's message.
describe('downloadExport', () => {
  const originalFetch = globalThis.fetch;
  afterEach(() => {
    globalThis.fetch = originalFetch;
  });

  it('fetches with the bearer header and clicks a download link for the blob', async () => {
    const fetchMock = jest.fn((_url: string, _init: { headers: Record<string, string> }) =>
      Promise.resolve({ ok: true, status: 200, blob: () => Promise.resolve(new Blob(['<xml/>'])) }),
    );
    globalThis.fetch = fetchMock as unknown as typeof fetch;
    Object.assign(URL, { createObjectURL: jest.fn(() => 'blob:x'), revokeObjectURL: jest.fn() });
    const clicked: string[] = [];
    const click = jest.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (
      this: HTMLAnchorElement,
    ) {
      clicked.push(this.download);
    });

    expect(await downloadExport('dms_abc', '/export/runs/r1/junit.xml', 'run-r1.junit.xml')).toBeNull();
    expect(fetchMock.mock.calls[0]?.[0]).toBe('/export/runs/r1/junit.xml');
    expect(fetchMock.mock.calls[0]?.[1].headers).toEqual({ authorization: 'Bearer dms_abc' });
    expect(clicked).toEqual(['run-r1.junit.xml']);
    click.mockRestore();
  });

  it("returns the server's error message when refused", async () => {
    globalThis.fetch = jest.fn(() =>
      Promise.resolve({
        ok: false,
        status: 404,
        json: () => Promise.resolve({ errors: [{ message: 'run r1 not found' }] }),
      }),
    ) as unknown as typeof fetch;

    expect(await downloadExport('dms_abc', '/export/runs/r1/junit.xml', 'x')).toBe('run r1 not found');
  });
});
