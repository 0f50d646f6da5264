package httpclient

import (
	"errors"
	"net/netip"
	"testing"
)

func TestDestinationGuardRefusesNonPublicAddresses(t *testing.T) {
	tests := []struct {
		address string
		reason  string
	}{
		{"169.254.169.254:80", "instance metadata"},
		{"[fd00:ec2::254]:80", "instance metadata"},
		{"[::ffff:169.254.169.254]:80", "instance metadata"},
		{"127.0.0.1:9001", "loopback"}, // the Lambda Runtime API
		{"127.8.9.10:443", "loopback"},
		{"[::1]:443", "loopback"},
		{"0.0.0.0:443", "unspecified"},
		{"0.1.2.3:443", "unspecified"},
		{"[::]:443", "unspecified"},
		{"169.254.170.2:80", "link-local"},
		{"[fe80::1%eth0]:443", "link-local"},
		{"10.0.0.5:443", "private"},
		{"172.16.0.1:443", "private"},
		{"172.31.255.255:443", "private"},
		{"192.168.1.1:443", "private"},
		{"100.64.0.1:443", "private"},
		{"[fd12:3456::1]:443", "private"},
		{"224.0.0.1:443", "multicast"},
		{"[ff02::1]:443", "multicast"},
		{"255.255.255.255:443", "reserved"},
		{"198.18.0.1:443", "reserved"},
		{"[64:ff9b::a9fe:a9fe]:80", "instance metadata (embedded in IPv6)"},
		{"[64:ff9b::7f00:1]:80", "loopback (embedded in IPv6)"},
		{"[2002:a00:1::1]:80", "private (embedded in IPv6)"},
		{"[64:ff9b:1::1]:80", "private"},
	}
	var g destinationGuard
	for _, tt := range tests {
		t.Run(tt.address, func(t *testing.T) {
			err := g.control("tcp", tt.address, nil)
			var derr *DestinationError
			if !errors.As(err, &derr) {
				t.Fatalf("control(%s) = %v, want a DestinationError", tt.address, err)
			}
			if derr.Reason != tt.reason {
				t.Fatalf("reason = %q, want %q", derr.Reason, tt.reason)
			}
			if !errors.Is(err, ErrForbiddenDestination) {
				t.Fatal("error does not match ErrForbiddenDestination")
			}
		})
	}
}

func TestDestinationGuardAdmitsPublicAddresses(t *testing.T) {
	var g destinationGuard
	for _, address := range []string{
		"52.94.236.248:443", // AWS public range
		"8.8.8.8:53",
		"[2600:1f18::1]:443",     // AWS IPv6
		"[64:ff9b::808:808]:443", // NAT64 of a public address
		"[2002:808:808::1]:443",  // 6to4 of a public address
		"172.32.0.1:443",         // just past 172.16.0.0/12
		"169.255.0.1:443",        // just past link-local
	} {
		if err := g.control("tcp", address, nil); err != nil {
			t.Errorf("control(%s) = %v, want nil", address, err)
		}
	}
}

func TestDestinationGuardHonoursAllowedRangesAndDisable(t *testing.T) {
	allowLoopbackAndVPC := destinationGuard{allowed: []netip.Prefix{
		netip.MustParsePrefix("127.0.0.1/32"),
		netip.MustParsePrefix("10.1.0.0/16"),
	}}
	tests := []struct {
		name    string
		guard   destinationGuard
		address string
		allowed bool
	}{
		{"allowed loopback host", allowLoopbackAndVPC, "127.0.0.1:8443", true},
		{"mapped form of an allowed host", allowLoopbackAndVPC, "[::ffff:127.0.0.1]:8443", true},
		{"other loopback host", allowLoopbackAndVPC, "127.0.0.2:8443", false},
		{"allowed VPC range", allowLoopbackAndVPC, "10.1.2.3:443", true},
		{"other private range", allowLoopbackAndVPC, "10.2.0.1:443", false},
		{"metadata stays refused", allowLoopbackAndVPC, "169.254.169.254:80", false},
		{"guard disabled", destinationGuard{disabled: true}, "169.254.169.254:80", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.guard.control("tcp", tt.address, nil)
			if (err == nil) != tt.allowed {
				t.Fatalf("control(%s) = %v, want allowed=%v", tt.address, err, tt.allowed)
			}
		})
	}
}

func TestDestinationGuardRejectsUnparsableAddresses(t *testing.T) {
	var g destinationGuard
	for _, address := range []string{"example.com:443", "169.254.169.254", ""} {
		if err := g.control("tcp", address, nil); err == nil {
			t.Errorf("control(%q) = nil, want an error", address)
		}
	}
}
