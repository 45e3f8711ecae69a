import { requestErrorMessage, userErrorMessages } from '../../web/src/api/errors';
import { toggled } from '../../web/src/sets';

// The helpers the submit, review and import forms share for their checkbox sets and error lists.
describe('toggled', () => {
  it('adds a missing item and removes a present one, leaving the given set as it was', () => {
    const chosen = new Set(['a', 'b']);
    expect([...toggled(chosen, 'c')]).toEqual(['a', 'b', 'c']);
    expect([...toggled(chosen, 'a')]).toEqual(['b']);
    expect([...chosen]).toEqual(['a', 'b']);
  });
});

describe('form error messages', () => {
  it('puts each user error after the input path it is about', () => {
    expect(
      userErrorMessages([
        { path: ['input', 'entries', '0', 'profile'], message: 'no release v9.9' },
        { path: [], message: 'empty' },
      ]),
    ).toEqual(['input.entries.0.profile: no release v9.9', ': empty']);
  });

  it('prefers the first GraphQL error, then the transport message, then the fallback', () => {
    const graphQLErrors = [{ message: 'Rate limited' }, { message: 'second' }];
    expect(requestErrorMessage({ message: '[GraphQL] Rate limited', graphQLErrors }, 'Submission failed.')).toBe(
      'Rate limited',
    );
    expect(requestErrorMessage({ message: '[Network] Failed to fetch', graphQLErrors: [] }, 'Submission failed.')).toBe(
      '[Network] Failed to fetch',
    );
    expect(requestErrorMessage(undefined, 'Import failed.')).toBe('Import failed.');
  });
});
