import { EngineInvariantError, invariant } from '../../src/engine/invariant';

describe('invariant', () => {
  it('throws EngineInvariantError carrying the message when the condition is false', () => {
    expect(() => invariant(false, 'used 3 != occupied 2')).toThrow(EngineInvariantError);
    expect(() => invariant(0, 'used 3 != occupied 2')).toThrow('used 3 != occupied 2');
  });

  it('returns normally when the condition holds', () => {
    expect(() => invariant(1, 'never')).not.toThrow();
  });
});
