package tests

import (
	"context"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// scaleServices are the services of compose.yaml's profile "scale".
var scaleServices = []string{"db-replica", "pgbouncer-primary", "pgbouncer-replica", "api-1", "api-2", "proxy"}

// composeScaleProject loads ../compose.yaml with the profile "scale", as
// `docker compose --profile scale up` does.
func composeScaleProject(t *testing.T) *types.Project {
	t.Helper()
	opts, err := cli.NewProjectOptions([]string{composeFile}, cli.WithName("timeline-test"),
		cli.WithWorkingDirectory(".."), cli.WithProfiles([]string{"scale"}))
	if err != nil {
		t.Fatalf("compose project options: %v", err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("load %s with profile scale: got error %v, want a valid compose project", composeFile, err)
	}
	return p
}

// TestComposeScaleProfile checks that the profile's services exist only in
// it, so that a plain `docker compose up` starts none of them.
func TestComposeScaleProfile(t *testing.T) {
	plain := composeProject(t)
	p := composeScaleProject(t)
	for _, name := range scaleServices {
		svc := composeService(t, p, name)
		if !slices.Equal(svc.Profiles, []string{"scale"}) {
			t.Errorf("service %q profiles: got %q, want [scale]", name, svc.Profiles)
		}
		if _, ok := plain.Services[name]; ok {
			t.Errorf("service %q: got enabled without the profile, want only with --profile scale", name)
		}
	}
	for _, name := range []string{"db", "migrate", "seed", "api"} {
		composeService(t, p, name)
	}
}

// TestComposeScaleDependencies checks that each service starts after what
// it needs: the replica after a healthy primary, each PgBouncer after its
// database, the API instances after the seed and both poolers, the proxy
// after the instances; and that each service waited for as healthy has a
// healthcheck.
func TestComposeScaleDependencies(t *testing.T) {
	p := composeScaleProject(t)
	deps := []struct{ svc, on, condition string }{
		{"db-replica", "db", types.ServiceConditionHealthy},
		{"pgbouncer-primary", "db", types.ServiceConditionHealthy},
		{"pgbouncer-replica", "db-replica", types.ServiceConditionHealthy},
		{"api-1", "seed", types.ServiceConditionCompletedSuccessfully},
		{"api-1", "pgbouncer-primary", types.ServiceConditionHealthy},
		{"api-1", "pgbouncer-replica", types.ServiceConditionHealthy},
		{"api-2", "seed", types.ServiceConditionCompletedSuccessfully},
		{"api-2", "pgbouncer-primary", types.ServiceConditionHealthy},
		{"api-2", "pgbouncer-replica", types.ServiceConditionHealthy},
		{"proxy", "api-1", types.ServiceConditionStarted},
		{"proxy", "api-2", types.ServiceConditionStarted},
	}
	for _, d := range deps {
		composeRequireDependency(t, composeService(t, p, d.svc), d.on, d.condition)
	}
	// A dependency that waits for health needs a healthcheck to wait for:
	// without one compose fails the dependant at start.
	for _, name := range scaleServices {
		for on, dep := range composeService(t, p, name).DependsOn {
			if dep.Condition != types.ServiceConditionHealthy {
				continue
			}
			if hc := composeService(t, p, on).HealthCheck; hc == nil || hc.Disable || len(hc.Test) == 0 {
				t.Errorf("service %q waits for %q to be healthy: got healthcheck %+v, want an enabled one with a test", name, on, hc)
			}
		}
	}
	// Every dependency is itself ordered: walking depends_on from any
	// service of the profile ends, without a cycle, at db.
	for _, name := range scaleServices {
		seen := map[string]bool{}
		var walk func(string)
		walk = func(n string) {
			if seen[n] {
				t.Fatalf("depends_on from %q: got a cycle through %q", name, n)
			}
			seen[n] = true
			for on := range composeService(t, p, n).DependsOn {
				walk(on)
			}
			delete(seen, n)
		}
		walk(name)
	}
}

// TestComposeScaleInstances checks the API instances' configuration: the
// primary and the replica through their PgBouncers, a query mode PgBouncer
// 1.18 accepts, one cursor key secret, and the rate limit shared between
// them.
func TestComposeScaleInstances(t *testing.T) {
	p := composeScaleProject(t)
	var keys []string
	for _, name := range []string{"api-1", "api-2"} {
		svc := composeService(t, p, name)
		env := func(k string) string {
			if v := svc.Environment[k]; v != nil {
				return *v
			}
			return ""
		}
		if got := env("DATABASE_URL"); !strings.Contains(got, "@pgbouncer-primary:6432/") {
			t.Errorf("service %q DATABASE_URL: got %q, want pgbouncer-primary:6432", name, got)
		}
		if got := env("DATABASE_REPLICA_URLS"); !strings.Contains(got, "@pgbouncer-replica:6432/") {
			t.Errorf("service %q DATABASE_REPLICA_URLS: got %q, want pgbouncer-replica:6432", name, got)
		}
		if got := env("DB_QUERY_EXEC_MODE"); got != "exec" && got != "simple_protocol" {
			t.Errorf("service %q DB_QUERY_EXEC_MODE: got %q, want exec or simple_protocol behind PgBouncer", name, got)
		}
		if got := env("RATE_LIMIT_INSTANCES"); got != "2" {
			t.Errorf("service %q RATE_LIMIT_INSTANCES: got %q, want 2", name, got)
		}
		keys = append(keys, env("CURSOR_KEY_FILE"))
	}
	if keys[0] == "" || keys[0] != keys[1] {
		t.Errorf("CURSOR_KEY_FILE: got %q, want one key file (secret) shared by the instances", keys)
	}
	proxy := composeService(t, p, "proxy")
	if cmd := strings.Join(proxy.Command, " "); !strings.Contains(cmd, "api-1:8080") || !strings.Contains(cmd, "api-2:8080") {
		t.Errorf("proxy command: got %q, want both instances as upstreams", cmd)
	}
	for _, port := range composeService(t, p, "api").Ports {
		for _, pp := range proxy.Ports {
			if port.Published != "" && port.Published == pp.Published {
				t.Errorf("proxy publishes %s, which api publishes too", pp.Published)
			}
		}
	}
}

// TestComposeScaleFiles checks that the profile's files live in
// compose.yaml, not in a directory of their own (the repository's top
// level is fixed): every file a service mounts is a top-level config with
// content, the shell's "$" survives compose's interpolation, and
// PgBouncer's user list is written where its read-only container can.
func TestComposeScaleFiles(t *testing.T) {
	p := composeScaleProject(t)
	for name, svc := range p.Services {
		for _, v := range svc.Volumes {
			if v.Type == types.VolumeTypeBind && !strings.HasPrefix(v.Target, "/run/secrets/") {
				t.Errorf("service %q: got a bind mount of %s, want a named volume or a config", name, v.Source)
			}
		}
		for _, c := range svc.Configs {
			cfg, ok := p.Configs[c.Source]
			if !ok || cfg.Content == "" {
				t.Errorf("service %q config %q: got %+v, want a top-level config with content", name, c.Source, cfg)
			}
		}
		if svc.Build != nil && svc.Build.Dockerfile != "" && svc.Build.DockerfileInline == "" && name != "api" {
			t.Errorf("service %q: got Dockerfile %q, want dockerfile_inline (only the app has a Dockerfile)", name, svc.Build.Dockerfile)
		}
	}
	mounted := func(svc, target string) string {
		t.Helper()
		for _, c := range composeService(t, p, svc).Configs {
			if c.Target == target {
				return p.Configs[c.Source].Content
			}
		}
		t.Fatalf("service %q: got no config at %s", svc, target)
		return ""
	}
	if got := mounted("db", "/docker-entrypoint-initdb.d/replication.sh"); !strings.Contains(got, `"$PGDATA/pg_hba.conf"`) {
		t.Errorf("db replication.sh: got %q, want it to append to $PGDATA/pg_hba.conf", got)
	}
	replica := composeService(t, p, "db-replica")
	if got := mounted("db-replica", replica.Entrypoint[len(replica.Entrypoint)-1]); !strings.Contains(got, "/run/secrets/db_password") ||
		!strings.Contains(got, `-D "$PGDATA" -R`) {
		t.Errorf("db-replica entrypoint: got %q, want pg_basebackup -R into $PGDATA with the password secret", got)
	}
	primary := composeService(t, p, "pgbouncer-primary")
	for _, name := range []string{"pgbouncer-primary", "pgbouncer-replica"} {
		svc := composeService(t, p, name)
		if svc.Image != primary.Image {
			t.Errorf("service %q image: got %q, want %q like pgbouncer-primary", name, svc.Image, primary.Image)
		}
		if name != "pgbouncer-primary" && svc.Build != nil {
			t.Errorf("service %q: got a build, want the image pgbouncer-primary builds", name)
		}
		ini := mounted(name, "/etc/pgbouncer/pgbouncer.ini")
		m := regexp.MustCompile(`(?m)^auth_file = (\S+)$`).FindStringSubmatch(ini)
		if m == nil {
			t.Fatalf("service %q pgbouncer.ini: got no auth_file", name)
		}
		if !slices.ContainsFunc(svc.Tmpfs, func(dir string) bool { return path.Dir(m[1]) == dir }) {
			t.Errorf("service %q: auth_file %s is not in a tmpfs (got %q)", name, m[1], svc.Tmpfs)
		}
		entry := mounted(name, svc.Entrypoint[len(svc.Entrypoint)-1])
		if !strings.Contains(entry, "/run/secrets/db_password") || !strings.Contains(entry, "> "+m[1]) {
			t.Errorf("service %q entrypoint: got %q, want it to write %s from the db_password secret", name, entry, m[1])
		}
	}
	if !strings.Contains(mounted("pgbouncer-replica", "/etc/pgbouncer/pgbouncer.ini"), "host=db-replica ") {
		t.Error("pgbouncer-replica: got a pgbouncer.ini not pointing at db-replica")
	}
}
