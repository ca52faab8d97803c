/**
 * The SSRF guard: outbound HTTP may not reach loopback, private, link-local
 * (169.254.0.0/16 included), CGNAT, multicast, reserved or IPv4-mapped
 * addresses unless HTTP_ALLOW_PRIVATE=true. The check runs on the address the
 * socket actually connects to (in the DNS lookup the connection itself uses),
 * so a name that resolves differently the second time gains nothing.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';

const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  blocked.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  // IPv4-mapped addresses (::ffff:0:0/96) are refused by pattern in refusedAddress: as a BlockList rule that
  // subnet would also match every plain IPv4 address.
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  blocked.addSubnet(net, prefix, 'ipv6');

/** Why an address may not be reached, or undefined when it may. */
export function refusedAddress(address: string): string | undefined {
  const family = isIP(address);
  if (family === 0) return `"${address}" is not an IP address`;
  // An IPv4-mapped IPv6 address is judged as the IPv4 address it carries, and refused either way.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return `${address} is an IPv4-mapped address`;
  if (blocked.check(address, family === 4 ? 'ipv4' : 'ipv6'))
    return `${address} is a loopback, private, link-local or reserved address`;
  return undefined;
}

export class BlockedAddressError extends Error {
  override name = 'BlockedAddressError';
  readonly code = 'EBLOCKEDADDRESS';
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A `lookup` for sockets that refuses blocked addresses after resolving. */
export function guardedLookup(hostname: string, options: object, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, []);
    const list = addresses as LookupAddress[];
    const refused = list.map((a) => refusedAddress(a.address)).find(Boolean);
    if (refused || list.length === 0)
      return callback(
        new BlockedAddressError(
          `refused: ${hostname} resolves to ${refused ?? 'nothing'} (set HTTP_ALLOW_PRIVATE=true to allow private targets)`,
        ),
        [],
      );
    if ((options as { all?: boolean }).all) return callback(null, list);
    return callback(null, list[0]!.address, list[0]!.family);
  });
}
