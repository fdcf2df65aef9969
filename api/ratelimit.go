package api

import (
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"
)

// maxRateClients bounds the memory of the rate limiter: past it, idle
// clients are forgotten first, and if none is idle, arbitrary ones.
const maxRateClients = 100_000

// rateLimiter is a token bucket per client address. Clients are keyed by
// the address gin's ClientIP gives, which believes X-Forwarded-For only
// from the configured trusted proxies; IPv6 clients are keyed by their /64,
// the block one subscriber usually holds.
type rateLimiter struct {
	limit rate.Limit
	burst int
	// idle is how long a client may go unseen before it is forgotten: by
	// then its bucket is full again, so forgetting it changes nothing.
	idle time.Duration
	max  int
	now  func() time.Time

	mu        sync.Mutex
	clients   map[string]*rateClient
	lastSweep time.Time
}

type rateClient struct {
	lim  *rate.Limiter
	seen time.Time
}

// newRateLimiter allows perSecond requests a second to each client, in
// bursts of up to burst.
func newRateLimiter(perSecond float64, burst int) *rateLimiter {
	if burst < 1 {
		burst = 1
	}
	refill := time.Duration(float64(burst) / perSecond * float64(time.Second))
	return &rateLimiter{
		limit: rate.Limit(perSecond), burst: burst, idle: max(refill, time.Minute), max: maxRateClients,
		now: time.Now, clients: map[string]*rateClient{},
	}
}

// allow takes a token from key's bucket. When there is none it says how
// long until there will be.
func (l *rateLimiter) allow(key string) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	cl, ok := l.clients[key]
	if !ok {
		l.makeRoom(now)
		cl = &rateClient{lim: rate.NewLimiter(l.limit, l.burst)}
		l.clients[key] = cl
	}
	cl.seen = now
	r := cl.lim.ReserveN(now, 1)
	if !r.OK() {
		return false, time.Hour
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// makeRoom forgets idle clients once a minute or when the table is full,
// and arbitrary clients when it is still full. Called with l.mu held.
func (l *rateLimiter) makeRoom(now time.Time) {
	if len(l.clients) < l.max && now.Sub(l.lastSweep) < time.Minute {
		return
	}
	l.lastSweep = now
	for k, cl := range l.clients {
		if now.Sub(cl.seen) >= l.idle {
			delete(l.clients, k)
		}
	}
	for k := range l.clients {
		if len(l.clients) < l.max {
			break
		}
		delete(l.clients, k)
	}
}

// size is the number of clients remembered.
func (l *rateLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.clients)
}

// clientKey is the bucket a request counts against.
func clientKey(c *gin.Context) string {
	ip := c.ClientIP()
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// rateLimitExempt are the routes a limiter never refuses: probes and
// scrapes come from the platform, and refusing them would take a healthy
// instance out of service.
var rateLimitExempt = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// rateLimit answers 429, with Retry-After, to a client that has used up
// its bucket. With exemptLoopback, clients on this machine are not limited.
func rateLimit(l *rateLimiter, m *metrics, exemptLoopback bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		if rateLimitExempt[c.FullPath()] || isWrite(c.Request.Method) || (exemptLoopback && isLoopback(c)) {
			// Writes count against their API key's own limit instead.
			c.Next()
			return
		}
		ok, wait := l.allow(clientKey(c))
		if !ok {
			secs := int(math.Ceil(wait.Seconds()))
			c.Header("Retry-After", strconv.Itoa(max(secs, 1)))
			m.rateLimited.Inc()
			_ = c.Error(&Problem{Type: problemBase + "rate-limited", Title: "Too many requests", Status: http.StatusTooManyRequests,
				Detail: "This client has sent too many requests. Retry after the number of seconds in Retry-After."})
			c.Abort()
			return
		}
		c.Next()
	}
}

// isLoopback reports whether the request comes from this machine: both the
// connection's peer and the client address gin believes (which differs
// only behind a trusted proxy) are loopback addresses. A proxy on the same
// host that is not in TRUSTED_PROXIES makes every client look local: set
// TRUSTED_PROXIES, or RATE_LIMIT_RPS explicitly to limit loopback too.
func isLoopback(c *gin.Context) bool {
	peer, err := netip.ParseAddrPort(c.Request.RemoteAddr)
	if err != nil || !peer.Addr().Unmap().IsLoopback() {
		return false
	}
	client, err := netip.ParseAddr(c.ClientIP())
	return err == nil && client.Unmap().IsLoopback()
}

// isWrite reports whether method changes data.
func isWrite(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}
