import { describe, expect, it } from 'vitest';
import { refusedAddress } from './address-guard';

// Pure checks of addresses: no packet is sent anywhere.
describe('SSRF guard', () => {
  it.each([
    '127.0.0.1',
    '127.8.9.10',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '100.127.255.254',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    'fe80::1',
    'fc00::1',
    'fd12:3456::1',
    '::ffff:127.0.0.1',
    '::ffff:8.8.8.8',
    'ff02::1',
  ])('refuses %s', (address) => {
    expect(refusedAddress(address)).toBeDefined();
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111'])('allows %s', (address) => {
    expect(refusedAddress(address)).toBeUndefined();
  });
});
