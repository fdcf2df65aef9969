package api

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/csto-timeline/timeline/models"
)

// replicaReporter is implemented by a store that can read from replicas,
// as *models.Store does; both methods return nil without replicas.
type replicaReporter interface {
	Replicas() []models.ReplicaState
	TargetCounts() []models.TargetCount
}

// replicaCollector exports the read router's state at each scrape.
type replicaCollector struct {
	store      replicaReporter
	lag        *prometheus.Desc
	inRotation *prometheus.Desc
	statements *prometheus.Desc
}

func newReplicaCollector(store replicaReporter) *replicaCollector {
	return &replicaCollector{
		store: store,
		lag: prometheus.NewDesc("timeline_db_replica_lag_seconds",
			"How long the primary has been at a WAL position the replica has not replayed, to within the check interval.",
			[]string{"replica"}, nil),
		inRotation: prometheus.NewDesc("timeline_db_replica_in_rotation",
			"1 while the replica takes reads, 0 while it is down or lags more than REPLICA_MAX_LAG.",
			[]string{"replica"}, nil),
		statements: prometheus.NewDesc("timeline_db_statements_total",
			"Statements and transactions sent to each database (primary or replica host:port), by kind (read or write).",
			[]string{"target", "kind"}, nil),
	}
}

// Describe sends the metrics' descriptions.
func (c *replicaCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.lag
	ch <- c.inRotation
	ch <- c.statements
}

// Collect reads the router's counters and the health checker's view.
func (c *replicaCollector) Collect(ch chan<- prometheus.Metric) {
	for _, r := range c.store.Replicas() {
		ch <- prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue, r.Lag.Seconds(), r.Name)
		in := 0.0
		if r.InRotation {
			in = 1
		}
		ch <- prometheus.MustNewConstMetric(c.inRotation, prometheus.GaugeValue, in, r.Name)
	}
	for _, t := range c.store.TargetCounts() {
		ch <- prometheus.MustNewConstMetric(c.statements, prometheus.CounterValue, float64(t.Reads), t.Name, "read")
		ch <- prometheus.MustNewConstMetric(c.statements, prometheus.CounterValue, float64(t.Writes), t.Name, "write")
	}
}
