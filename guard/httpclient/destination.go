package httpclient

import (
	"fmt"
	"net"
	"net/netip"
	"syscall"
)

// DestinationError says which address the guard refused and why.
type DestinationError struct {
	Addr   netip.Addr
	Reason string // "loopback", "instance metadata", "link-local", "private", ...
}

func (e *DestinationError) Error() string {
	return fmt.Sprintf("httpclient: destination %s refused: %s address", e.Addr, e.Reason)
}

// Is makes errors.Is(err, ErrForbiddenDestination) hold.
func (e *DestinationError) Is(target error) bool { return target == ErrForbiddenDestination }

// destinationGuard decides, for each address the dialer is about to connect
// to, whether the connection may proceed.
type destinationGuard struct {
	allowed  []netip.Prefix
	disabled bool
}

// control runs as net.Dialer.Control: after name resolution and before the
// connection is made, once per address tried. Checking here, rather than the
// URL's host, is what defeats DNS rebinding and hostnames of internal
// addresses.
func (g destinationGuard) control(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("httpclient: dial address %q: %w", address, err)
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("httpclient: dial address %q: %w", address, err)
	}
	return g.check(addr)
}

func (g destinationGuard) check(addr netip.Addr) error {
	if g.disabled {
		return nil
	}
	addr = addr.WithZone("").Unmap()
	for _, p := range g.allowed {
		if p.Contains(addr) {
			return nil
		}
	}
	if reason := refusedReason(addr); reason != "" {
		return &DestinationError{Addr: addr, Reason: reason}
	}
	return nil
}

var (
	instanceMetadata = []netip.Addr{
		netip.MustParseAddr("169.254.169.254"), // EC2/ECS/Lambda-adjacent metadata
		netip.MustParseAddr("fd00:ec2::254"),   // EC2 metadata over IPv6
	}
	// IPv6 prefixes that carry an IPv4 address, which could smuggle an
	// internal IPv4 address past an IPv6-only check.
	nat64     = netip.MustParsePrefix("64:ff9b::/96") // IPv4 in the low 32 bits
	sixToFour = netip.MustParsePrefix("2002::/16")    // IPv4 in bits 16-47

	// Ranges refused beyond what netip's predicates cover.
	refusedPrefixes = []struct {
		prefix netip.Prefix
		reason string
	}{
		{netip.MustParsePrefix("0.0.0.0/8"), "unspecified"}, // "this network": 0.0.0.0 reaches localhost on Linux
		{netip.MustParsePrefix("100.64.0.0/10"), "private"}, // carrier-grade NAT, shared address space
		{netip.MustParsePrefix("192.0.0.0/24"), "reserved"},
		{netip.MustParsePrefix("192.0.2.0/24"), "reserved"},
		{netip.MustParsePrefix("198.18.0.0/15"), "reserved"},
		{netip.MustParsePrefix("198.51.100.0/24"), "reserved"},
		{netip.MustParsePrefix("203.0.113.0/24"), "reserved"},
		{netip.MustParsePrefix("240.0.0.0/4"), "reserved"},   // includes 255.255.255.255
		{netip.MustParsePrefix("::/96"), "reserved"},         // IPv4-compatible, deprecated
		{netip.MustParsePrefix("100::/64"), "reserved"},      // discard
		{netip.MustParsePrefix("64:ff9b:1::/48"), "private"}, // local-use NAT64
		{netip.MustParsePrefix("2001:db8::/32"), "reserved"},
		{netip.MustParsePrefix("fec0::/10"), "private"}, // site-local, deprecated
	}
)

// refusedReason names why addr may not be dialled, or returns "" when it is
// a public unicast address.
func refusedReason(addr netip.Addr) string {
	for _, m := range instanceMetadata {
		if addr == m {
			return "instance metadata"
		}
	}
	switch {
	case addr.IsUnspecified():
		return "unspecified"
	case addr.IsLoopback():
		return "loopback"
	case addr.IsLinkLocalUnicast():
		return "link-local"
	case addr.IsPrivate():
		return "private"
	case addr.IsMulticast(), addr.IsInterfaceLocalMulticast(), addr.IsLinkLocalMulticast():
		return "multicast"
	}
	for _, r := range refusedPrefixes {
		if r.prefix.Contains(addr) {
			return r.reason
		}
	}
	if inner, ok := embeddedIPv4(addr); ok {
		if reason := refusedReason(inner); reason != "" {
			return reason + " (embedded in IPv6)"
		}
	}
	return ""
}

// embeddedIPv4 extracts the IPv4 address carried by a NAT64 or 6to4 address.
func embeddedIPv4(addr netip.Addr) (netip.Addr, bool) {
	b := addr.As16()
	if nat64.Contains(addr) {
		return netip.AddrFrom4([4]byte(b[12:16])), true
	}
	if sixToFour.Contains(addr) {
		return netip.AddrFrom4([4]byte(b[2:6])), true
	}
	return netip.Addr{}, false
}
