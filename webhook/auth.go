package webhook

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/callmyway-go/sdk/internal/netaddr"
)

// equal compares secrets in constant time, whatever their lengths.
func equal(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}

// authFailure is a refused request: its status and message.
type authFailure struct {
	status int
	msg    string
}

// TokenHeader is the header that may carry the secret token.
const TokenHeader = "X-Webhook-Token"

func (h *handler) authenticate(r *http.Request) *authFailure {
	if len(h.cfg.allowed) > 0 {
		ip, err := h.clientIP(r)
		if err != nil {
			return &authFailure{http.StatusForbidden, err.Error()}
		}
		if !contains(h.cfg.allowed, ip) {
			return &authFailure{http.StatusForbidden, fmt.Sprintf("source address %s is not allowed", ip)}
		}
	}
	if h.cfg.token != "" && !h.tokenOK(r) {
		return &authFailure{http.StatusUnauthorized, "missing or wrong token"}
	}
	if h.cfg.basicUser != "" {
		u, p, ok := r.BasicAuth()
		// Evaluate both comparisons: no early exit on the user name.
		userOK, passOK := equal(u, h.cfg.basicUser), equal(p, h.cfg.basicPass)
		if !ok || !userOK || !passOK {
			return &authFailure{http.StatusUnauthorized, "missing or wrong basic credentials"}
		}
	}
	return nil
}

// tokenOK looks for the token in each place it may be, in constant time
// per comparison (which place matched may leak; the token does not).
func (h *handler) tokenOK(r *http.Request) bool {
	if v := r.Header.Get(TokenHeader); v != "" && equal(v, h.cfg.token) {
		return true
	}
	if v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && equal(v, h.cfg.token) {
		return true
	}
	if i := strings.LastIndexByte(r.URL.Path, '/'); i >= 0 && i < len(r.URL.Path)-1 && equal(r.URL.Path[i+1:], h.cfg.token) {
		return true
	}
	if strings.Contains(r.URL.RawQuery, "token=") {
		if v := r.URL.Query().Get("token"); v != "" && equal(v, h.cfg.token) {
			return true
		}
	}
	return false
}

// clientIP is the peer address, or, when the peer is a trusted proxy, the
// right-most X-Forwarded-For address that is not a trusted proxy.
func (h *handler) clientIP(r *http.Request) (netip.Addr, error) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("unreadable peer address %q", r.RemoteAddr)
	}
	peer = peer.Unmap()
	if !contains(h.cfg.trusted, peer) {
		return peer, nil // X-Forwarded-For from an untrusted peer is ignored
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				hops = append(hops, p)
			}
		}
	}
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(hops[i])
		if err != nil {
			return netip.Addr{}, fmt.Errorf("unreadable X-Forwarded-For address %q", hops[i])
		}
		a = a.Unmap()
		if !contains(h.cfg.trusted, a) {
			return a, nil
		}
	}
	return peer, nil
}

func contains(ps []netip.Prefix, a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func parsePrefixes(what string, cidrs []string) ([]netip.Prefix, error) {
	p, err := netaddr.ParsePrefixes(cidrs)
	if err != nil {
		return nil, fmt.Errorf("webhook: %s: %w", what, err)
	}
	return p, nil
}
