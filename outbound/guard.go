package outbound

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"syscall"
	"time"

	"github.com/helpdesk-gateway/gateway/domain"
)

// nonPublic are the ranges beyond what netip classifies that no public
// endpoint lives in: shared address space (where some clouds put their
// metadata service, 100.100.100.200), "this network", IETF protocol
// assignments, benchmarking, broadcast.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("255.255.255.255/32"),
}

// private reports whether addr is loopback, private, link-local (which
// holds the metadata address 169.254.169.254), multicast, unspecified or
// otherwise not a public address.
func private(addr netip.Addr) bool {
	addr = addr.Unmap()
	if addr.IsLoopback() || addr.IsPrivate() || addr.IsLinkLocalUnicast() || addr.IsLinkLocalMulticast() ||
		addr.IsInterfaceLocalMulticast() || addr.IsMulticast() || addr.IsUnspecified() {
		return true
	}
	for _, p := range nonPublic {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// refusePrivate is a net.Dialer Control function: it runs after the name
// was resolved, on the address about to be connected to, so a name that
// resolves to a public address when the endpoint is created and to a
// private one later (DNS rebinding) is refused all the same.
func refusePrivate(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("outbound: address %q: %w", address, err)
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("outbound: address %q is not an IP address", address)
	}
	if private(addr) {
		return fmt.Errorf("outbound: refused to connect to %s: not a public address", addr)
	}
	return nil
}

// CheckURL validates an endpoint's URL: http or https with a host, and,
// unless private targets are allowed, a host that resolves to public
// addresses only. Deliveries check the address again when they connect.
func (d *Dispatcher) CheckURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || len(raw) > 2048 {
		return domain.Errorf(domain.EINVALID, "url %q: want an absolute http or https URL", raw)
	}
	if d.cfg.AllowPrivate {
		return nil
	}
	host := u.Hostname()
	var addrs []netip.Addr
	if addr, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{addr}
	} else {
		lookup, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if addrs, err = net.DefaultResolver.LookupNetIP(lookup, "ip", host); err != nil {
			return domain.Errorf(domain.EINVALID, "url %q: host %q does not resolve", raw, host)
		}
	}
	for _, a := range addrs {
		if private(a) {
			return domain.Errorf(domain.EINVALID,
				"url %q: %s is a loopback, private, link-local or metadata address; endpoints must be public unless private targets are allowed (OUTBOUND_ALLOW_PRIVATE=true)", raw, a.Unmap())
		}
	}
	return nil
}
