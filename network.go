package logintokens

import (
	"net/netip"
	"slices"
	"strings"
)

// NormalizeNetworks checks a token's client networks and writes each the
// one way the store keeps it: a CIDR range with its host bits cleared
// (203.0.113.7/24 is 203.0.113.0/24), a single address as /32 or /128,
// IPv4-mapped IPv6 (::ffff:203.0.113.0/120) as the IPv4 range it is.
// Blank entries are dropped and repeats kept once; at most MaxNetworks.
// The errors name the field networks.
func NormalizeNetworks(in []string) ([]string, error) {
	var v Validation
	out := make([]string, 0, len(in))
	for i, s := range in {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		p, ok := parseNetwork(s)
		if !ok {
			v.Add("networks", "entry %d, %s, is not an IPv4 or IPv6 address or CIDR range (such as 203.0.113.0/24 or 2001:db8::/32)", i+1, QuoteInput(s))
			continue
		}
		if n := p.String(); !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	if len(out) > MaxNetworks {
		v.Add("networks", "at most %d networks", MaxNetworks)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

func parseNetwork(s string) (netip.Prefix, bool) {
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, false
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	if a := p.Addr(); a.Is4In6() {
		if p.Bits() < 96 {
			return netip.Prefix{}, false // not an IPv4 range, nor a sensible IPv6 one
		}
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked(), true
}

// NetworksAllow reports whether a redeem from clientIP may use a token
// bound to networks (normalised, as NormalizeNetworks writes them). No
// networks allow every address; with networks, an address that is missing
// or not an IP address is outside them. IPv4-mapped IPv6 addresses are
// their IPv4 address.
func NetworksAllow(networks []string, clientIP string) bool {
	if len(networks) == 0 {
		return true
	}
	a, err := netip.ParseAddr(strings.TrimSpace(clientIP))
	if err != nil {
		return false
	}
	a = a.Unmap().WithZone("")
	for _, n := range networks {
		if p, ok := parseNetwork(n); ok && p.Contains(a) {
			return true
		}
	}
	return false
}
