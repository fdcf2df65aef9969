package main

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/csto-timeline/timeline/models"
	"github.com/csto-timeline/timeline/seed"
)

// scaleConfig is the configuration of running many instances: read
// replicas, the pgx query mode PgBouncer needs, and the share of the rate
// limit each instance enforces.
type scaleConfig struct {
	replicaURLs []string
	// listenURL reaches the primary directly for LISTEN when DATABASE_URL
	// is a PgBouncer in transaction pooling.
	listenURL            string
	replicaMaxLag        time.Duration
	replicaCheckInterval time.Duration
	queryExecMode        string
	// rateLimitInstances divides RATE_LIMIT_RPS and RATE_LIMIT_BURST, so
	// that N instances behind a load balancer that spreads a client's
	// requests evenly together enforce the configured limit.
	rateLimitInstances int
}

// loadScaleConfig reads DATABASE_REPLICA_URLS, DATABASE_LISTEN_URL,
// REPLICA_MAX_LAG, REPLICA_CHECK_INTERVAL, DB_QUERY_EXEC_MODE and
// RATE_LIMIT_INSTANCES.
func loadScaleConfig(getenv func(string) string) (scaleConfig, []error) {
	var errs []error
	c := scaleConfig{replicaMaxLag: models.DefaultReplicaMaxLag, replicaCheckInterval: time.Second,
		queryExecMode: getenv("DB_QUERY_EXEC_MODE"), rateLimitInstances: 1, listenURL: getenv("DATABASE_LISTEN_URL")}
	for _, u := range strings.Split(getenv("DATABASE_REPLICA_URLS"), ",") {
		if u = strings.TrimSpace(u); u != "" {
			c.replicaURLs = append(c.replicaURLs, u)
		}
	}
	for name, d := range map[string]*time.Duration{"REPLICA_MAX_LAG": &c.replicaMaxLag,
		"REPLICA_CHECK_INTERVAL": &c.replicaCheckInterval} {
		if v := getenv(name); v != "" {
			p, err := time.ParseDuration(v)
			if err != nil || p <= 0 {
				errs = append(errs, fmt.Errorf("%s=%q is not a positive duration such as 10s", name, v))
			}
			*d = p
		}
	}
	if v := getenv("RATE_LIMIT_INSTANCES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			errs = append(errs, fmt.Errorf("RATE_LIMIT_INSTANCES=%q is not a positive whole number", v))
		}
		c.rateLimitInstances = max(n, 1)
	}
	return c, errs
}

// rateShare divides a fleet-wide rate limit and burst among the instances.
// The burst stays at least 1, so that a share never refuses everything.
func (c scaleConfig) rateShare(rps float64, burst int) (float64, int) {
	n := c.rateLimitInstances
	if n <= 1 {
		return rps, burst
	}
	return rps / float64(n), max(burst/n, 1)
}

// useReplicas attaches the configured replicas to the store, just before
// serving: migrations, seeding and the schema check read the primary.
func useReplicas(ctx context.Context, cfg config, store *models.Store, log *slog.Logger) error {
	if len(cfg.scale.replicaURLs) == 0 {
		return nil
	}
	err := store.UseReplicas(ctx, storeConfig(cfg, log), models.ReplicaConfig{URLs: cfg.scale.replicaURLs,
		MaxLag: cfg.scale.replicaMaxLag, CheckInterval: cfg.scale.replicaCheckInterval})
	if err != nil {
		return err
	}
	for _, r := range store.Replicas() {
		log.Info("read replica", "replica", r.Name, "in_rotation", r.InRotation, "lag", r.Lag.String())
	}
	return nil
}

// storeConfig is the models.Config of cfg.
func storeConfig(cfg config, log *slog.Logger) models.Config {
	return models.Config{
		DatabaseURL: cfg.databaseURL, SQLitePath: cfg.sqlitePath, Logger: log,
		MaxOpenConns: cfg.maxOpenConns, MaxIdleConns: cfg.maxIdleConns, ConnMaxLifetime: cfg.connMaxLifetime,
		StatementTimeout: cfg.statementTimeout, QueryExecMode: cfg.scale.queryExecMode,
		ListenURL: cfg.scale.listenURL, Editorial: seed.Editorial(),
	}
}
