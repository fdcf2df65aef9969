package main

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestLoadScaleConfig(t *testing.T) {
	env := map[string]string{
		"DATABASE_REPLICA_URLS":  " postgres://a:5432/t , ,postgres://b:5432/t",
		"REPLICA_MAX_LAG":        "3s",
		"REPLICA_CHECK_INTERVAL": "200ms",
		"DB_QUERY_EXEC_MODE":     "simple_protocol",
		"RATE_LIMIT_INSTANCES":   "4",
	}
	c, err := loadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	s := c.scale
	if len(s.replicaURLs) != 2 || s.replicaURLs[0] != "postgres://a:5432/t" || s.replicaURLs[1] != "postgres://b:5432/t" {
		t.Errorf("replica URLs: got %q, want the two URLs trimmed", s.replicaURLs)
	}
	if s.replicaMaxLag != 3*time.Second || s.replicaCheckInterval != 200*time.Millisecond || s.queryExecMode != "simple_protocol" {
		t.Errorf("got %+v, want lag 3s, interval 200ms, simple_protocol", s)
	}
	if rps, burst := s.rateShare(10, 20); rps != 2.5 || burst != 5 {
		t.Errorf("share of 10 rps, burst 20 over 4: got %v, %d; want 2.5, 5", rps, burst)
	}
	if rps, burst := s.rateShare(10, 3); rps != 2.5 || burst != 1 {
		t.Errorf("share of burst 3 over 4: got %v, %d; want 2.5, 1 (never 0)", rps, burst)
	}

	for name, bad := range map[string]string{"REPLICA_MAX_LAG": "soon", "REPLICA_CHECK_INTERVAL": "-1s", "RATE_LIMIT_INSTANCES": "0"} {
		_, err := loadConfig(func(k string) string {
			if k == name {
				return bad
			}
			return ""
		})
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%q: got error %v, want one naming %s", name, bad, err, name)
		}
	}
	c, err = loadConfig(func(string) string { return "" })
	if err != nil || c.scale.replicaURLs != nil || c.scale.replicaMaxLag != 10*time.Second || c.scale.rateLimitInstances != 1 {
		t.Errorf("defaults: got %+v, %v; want no replicas, 10s, 1 instance", c.scale, err)
	}
}

// TestRateLimitInstancesServed runs the server with RATE_LIMIT_INSTANCES=2
// and checks that it enforces its share of the burst, not the whole: with
// RATE_LIMIT_BURST=4 and a rate too slow to refill during the test, a
// client gets two answers and then 429.
func TestRateLimitInstancesServed(t *testing.T) {
	port := serveEmbedded(t, map[string]string{"RATE_LIMIT_RPS": "0.001", "RATE_LIMIT_BURST": "4", "RATE_LIMIT_INSTANCES": "2"})
	var got []int
	for range 4 {
		got = append(got, getStatus(t, "http://127.0.0.1:"+port+"/v1/timelines").code)
	}
	if want := []int{200, 200, 429, 429}; !slices.Equal(got, want) {
		t.Errorf("four reads with burst 4 shared by 2 instances: got %v, want %v", got, want)
	}
}
