package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	lt "github.com/logintokens/logintokens"
)

// redeemOutcomes are the values of logintokens_redeem_total's outcome
// label: every one is exported from the start, so a rate() over a fresh
// instance sees 0 rather than no series.
var redeemOutcomes = []string{"success", lt.ETOKENINVALID, lt.ENETWORKREFUSED, lt.ETOKENUSED, lt.ETOKENEXPIRED, lt.EUSERDISABLED, lt.ERATELIMITED}

// Metrics counts redeem outcomes and times requests by route, for
// Prometheus at GET /metrics.
type Metrics struct {
	redeems  *prometheus.CounterVec
	duration *prometheus.HistogramVec
	handler  http.Handler
}

// NewMetrics registers the service's metrics with reg. A nil reg is a new,
// private registry that also holds the Go runtime and process collectors;
// tests and several servers in one process then never collide. GET
// /metrics serves reg when it is also a prometheus.Gatherer (as a
// *prometheus.Registry is), else these metrics alone.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		redeems: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "logintokens_redeem_total",
			Help: "Token redeems by outcome: success or the refusal's code.",
		}, []string{"outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "logintokens_http_request_duration_seconds",
			Help:    "Time to answer a request, by route pattern, method and status code.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "method", "code"}),
	}
	for _, o := range redeemOutcomes {
		m.redeems.WithLabelValues(o)
	}
	own := prometheus.NewRegistry()
	own.MustRegister(m.redeems, m.duration)
	gatherer := prometheus.Gatherer(own)
	if reg == nil {
		own.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	} else {
		reg.MustRegister(m.redeems, m.duration)
		if g, ok := reg.(prometheus.Gatherer); ok {
			gatherer = g
		}
	}
	m.handler = promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{})
	return m
}

// Redeemed counts one redeem: code is "" on success, else the refusal's.
func (m *Metrics) Redeemed(code string) {
	switch {
	case code == "":
		code = "success"
	case !lt.IsRedeemCode(code):
		return // keeps the label's values to the known set
	}
	m.redeems.WithLabelValues(code).Inc()
}

// Instrument times h under route, the mux pattern "METHOD /path/{id}": the
// label is the pattern's path, never the request's, so no id or value
// becomes a label.
func (m *Metrics) Instrument(route string, h http.Handler) http.Handler {
	if _, path, ok := strings.Cut(route, " "); ok {
		route = path
	}
	obs := m.duration.MustCurryWith(prometheus.Labels{"route": route})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rw := wrapWriter(w)
		done := false
		defer func() {
			// Not done: h panicked, and Middleware answers 500 (or cuts
			// the connection when the answer had begun). Recovering here
			// would lose the panic's stack for the log.
			code := strconv.Itoa(rw.statusOrOK())
			if !done {
				code = "500"
			}
			obs.WithLabelValues(r.Method, code).Observe(time.Since(start).Seconds())
		}()
		h.ServeHTTP(rw, r)
		done = true
	})
}

// ServeHTTP answers GET /metrics.
func (m *Metrics) ServeHTTP(w http.ResponseWriter, r *http.Request) { m.handler.ServeHTTP(w, r) }
