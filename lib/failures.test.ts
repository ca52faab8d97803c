import { describe, expect, it } from 'vitest';
import { FAILURES } from './failures';

describe('the failure catalogue', () => {
  it('names each failure by its own type, once', () => {
    for (const [name, failure] of Object.entries(FAILURES)) expect(failure.type, name).toBe(name);
    const types = Object.values(FAILURES).map((f) => f.type);
    expect(new Set(types).size).toBe(types.length);
  });
});
