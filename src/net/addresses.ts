import ipaddr from 'ipaddr.js';

/** The well-known NAT64 prefix (RFC 6052): the last 32 bits are the IPv4 address the gateway connects to. */
const NAT64 = ipaddr.parseCIDR('64:ff9b::/96');
/** Deprecated IPv4-compatible addresses (::a.b.c.d): ipaddr.js counts them as unicast, nothing routes them. */
const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96');

/**
 * The range of an IP address as ipaddr.js names it ('unicast' for an ordinary public address, else 'loopback',
 * 'private', 'linkLocal', 'carrierGradeNat', 'uniqueLocal', ...). An IPv4 address wrapped in IPv6
 * (IPv4-mapped, NAT64) is classified as the IPv4 address the connection reaches, so ::ffff:127.0.0.1 is loopback.
 */
export function addressRange(address: string): string {
  if (!ipaddr.isValid(address)) return 'invalid';
  const ip = ipaddr.parse(address);
  if (ip.kind() === 'ipv4') return ip.range();
  const v6 = ip as ipaddr.IPv6;
  const range = v6.range();
  if (range === 'ipv4Mapped') return v6.toIPv4Address().range();
  if (range === 'rfc6052' && v6.match(NAT64)) return new ipaddr.IPv4(v6.toByteArray().slice(12)).range();
  if (range === 'unicast' && v6.match(IPV4_COMPATIBLE)) return 'ipv4Compatible';
  return range;
}

/** Whether the server may connect to this address without an allowance: public unicast only. */
export function isPublicAddress(address: string): boolean {
  return addressRange(address) === 'unicast';
}
