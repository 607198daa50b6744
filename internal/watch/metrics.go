package watch

import (
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are what operators scrape from /metrics, on a registry of their
// own (no global state).
type Metrics struct {
	Registry      *prometheus.Registry
	Events        prometheus.Counter
	Objects       prometheus.Counter
	ObjectErrors  prometheus.Counter
	Matches       *prometheus.CounterVec
	Notifications prometheus.Counter
	Delivered     prometheus.Counter
	DeliveryFails prometheus.Counter
	Duplicates    prometheus.Counter
	AlarmState    *prometheus.GaugeVec
	Lag           prometheus.Gauge
	LastPoll      prometheus.Gauge

	mu       sync.Mutex
	lastPoll time.Time
}

// NewMetrics registers trailwatch's metrics on a new registry.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry:      prometheus.NewRegistry(),
		Events:        prometheus.NewCounter(prometheus.CounterOpts{Name: "trailwatch_events_total", Help: "CloudTrail records evaluated."}),
		Objects:       prometheus.NewCounter(prometheus.CounterOpts{Name: "trailwatch_objects_total", Help: "Log objects processed completely."}),
		ObjectErrors:  prometheus.NewCounter(prometheus.CounterOpts{Name: "trailwatch_object_errors_total", Help: "Objects or records that could not be read."}),
		Matches:       prometheus.NewCounterVec(prometheus.CounterOpts{Name: "trailwatch_matches_total", Help: "Events matched, by filter."}, []string{"filter"}),
		Notifications: prometheus.NewCounter(prometheus.CounterOpts{Name: "trailwatch_notifications_total", Help: "Notifications raised (alarm actions and subscription filter matches)."}),
		Delivered:     prometheus.NewCounter(prometheus.CounterOpts{Name: "trailwatch_deliveries_total", Help: "Notification messages delivered to a subscription."}),
		DeliveryFails: prometheus.NewCounter(prometheus.CounterOpts{Name: "trailwatch_delivery_failures_total", Help: "Notification messages that could not be delivered after retries."}),
		Duplicates:    prometheus.NewCounter(prometheus.CounterOpts{Name: "trailwatch_duplicates_suppressed_total", Help: "Alarm changes, notifications and deliveries not repeated because they were already reported."}),
		AlarmState:    prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "trailwatch_alarm_state", Help: "1 for each alarm's current state."}, []string{"alarm", "state"}),
		Lag:           prometheus.NewGauge(prometheus.GaugeOpts{Name: "trailwatch_lag_seconds", Help: "Wall clock minus the delivery time of the newest object processed."}),
		LastPoll:      prometheus.NewGauge(prometheus.GaugeOpts{Name: "trailwatch_last_poll_timestamp_seconds", Help: "When the sources were last polled successfully."}),
	}
	m.Registry.MustRegister(m.Events, m.Objects, m.ObjectErrors, m.Matches, m.Notifications, m.Delivered, m.DeliveryFails,
		m.Duplicates, m.AlarmState, m.Lag, m.LastPoll)
	return m
}

func (m *Metrics) polled(t time.Time) {
	m.mu.Lock()
	m.lastPoll = t
	m.mu.Unlock()
	m.LastPoll.Set(float64(t.Unix()))
}

// Handler serves /metrics and /healthz. /healthz answers 200 while the
// sources were polled successfully within stale, else 503.
func (m *Metrics) Handler(stale time.Duration, now func() time.Time) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		m.mu.Lock()
		last := m.lastPoll
		m.mu.Unlock()
		if last.IsZero() || now().Sub(last) > stale {
			w.WriteHeader(http.StatusServiceUnavailable)
			if last.IsZero() {
				w.Write([]byte("not polled yet\n"))
			} else {
				w.Write([]byte("last successful poll " + last.UTC().Format(time.RFC3339) + "\n"))
			}
			return
		}
		w.Write([]byte("ok\n"))
	})
	return mux
}
