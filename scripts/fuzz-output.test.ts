import { describe, expect, it } from 'vitest';
import { withoutBanner } from './fuzz';

describe("the fuzz's relayed output", () => {
  it('drops the pytest-style frame CI would read as a test run that ran nothing, and keeps other lines whole', () => {
    expect(withoutBanner('============================ 3 warnings in 115.57s =============================')).toBe(
      '-- 3 warnings in 115.57s --',
    );
    expect(withoutBanner('=================================== SUMMARY ====================================')).toBe(
      '-- SUMMARY --',
    );
    expect(withoutBanner('  8987 generated, 8987 passed, 126 skipped')).toBe(
      '  8987 generated, 8987 passed, 126 skipped',
    );
    expect(withoutBanner('a = b == c')).toBe('a = b == c');
  });
});
