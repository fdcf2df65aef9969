package tests

// Static checks of the container setup: compose.yaml is loaded with the real
// Compose Specification parser (the same one docker compose uses) and the
// Dockerfile is parsed as text. Neither Docker nor the network is needed.

import (
	"context"
	"encoding/json"
	"maps"
	"net"
	"net/url"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

const (
	composeFile    = "../compose.yaml"
	dockerfilePath = "../Dockerfile"
)

// composeAppServices are the services that run the timeline binary.
var composeAppServices = []string{"migrate", "seed", "api"}

// composeProject loads and validates ../compose.yaml. Only the environment
// given here is used for interpolation, never the caller's shell, so the
// result does not depend on who runs the test.
func composeProject(t *testing.T) *types.Project {
	t.Helper()
	opts, err := cli.NewProjectOptions(
		[]string{composeFile},
		cli.WithName("timeline-test"),
		cli.WithWorkingDirectory(".."),
	)
	if err != nil {
		t.Fatalf("compose project options: %v", err)
	}
	project, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("load %s: got error %v, want a valid compose project", composeFile, err)
	}
	return project
}

func composeService(t *testing.T, p *types.Project, name string) types.ServiceConfig {
	t.Helper()
	svc, ok := p.Services[name]
	if !ok {
		t.Fatalf("service %q: got missing, want defined in %s", name, composeFile)
	}
	return svc
}

func composeRequireDependency(t *testing.T, svc types.ServiceConfig, on, condition string) {
	t.Helper()
	dep, ok := svc.DependsOn[on]
	if !ok {
		t.Fatalf("service %q depends_on: got %v, want it to include %q", svc.Name, slices.Sorted(maps.Keys(svc.DependsOn)), on)
	}
	if dep.Condition != condition {
		t.Fatalf("service %q depends_on %q condition: got %q, want %q", svc.Name, on, dep.Condition, condition)
	}
}

func TestComposeServices(t *testing.T) {
	p := composeProject(t)
	for _, name := range []string{"db", "migrate", "seed", "api"} {
		composeService(t, p, name)
	}
}

func TestComposeDatabase(t *testing.T) {
	db := composeService(t, composeProject(t), "db")

	if !strings.HasPrefix(db.Image, "postgres:16") {
		t.Fatalf("db image: got %q, want postgres:16*", db.Image)
	}
	if db.HealthCheck == nil || db.HealthCheck.Disable || len(db.HealthCheck.Test) == 0 {
		t.Fatalf("db healthcheck: got %+v, want an enabled healthcheck with a test command", db.HealthCheck)
	}
	if test := strings.Join(db.HealthCheck.Test, " "); !strings.Contains(test, "pg_isready") {
		t.Fatalf("db healthcheck test: got %q, want it to run pg_isready", test)
	}
	if len(db.Volumes) == 0 {
		t.Fatalf("db volumes: got none, want a volume for the data directory")
	}
	var dataVolume bool
	for _, v := range db.Volumes {
		if v.Target == "/var/lib/postgresql/data" && v.Type == types.VolumeTypeVolume {
			dataVolume = true
		}
	}
	if !dataVolume {
		t.Fatalf("db volumes: got %+v, want a named volume mounted at /var/lib/postgresql/data", db.Volumes)
	}
	for _, key := range []string{"POSTGRES_USER", "POSTGRES_PASSWORD_FILE", "POSTGRES_DB"} {
		if v := db.Environment[key]; v == nil || *v == "" {
			t.Fatalf("db environment %s: got unset, want a value", key)
		}
	}
	if v := db.Environment["POSTGRES_PASSWORD"]; v != nil {
		t.Fatalf("db environment POSTGRES_PASSWORD: got %q, want unset (the password comes from a secret file)", *v)
	}
}

func TestComposeDependencies(t *testing.T) {
	p := composeProject(t)

	composeRequireDependency(t, composeService(t, p, "migrate"), "db", types.ServiceConditionHealthy)
	composeRequireDependency(t, composeService(t, p, "seed"), "migrate", types.ServiceConditionCompletedSuccessfully)

	api := composeService(t, p, "api")
	composeRequireDependency(t, api, "db", types.ServiceConditionHealthy)
	composeRequireDependency(t, api, "migrate", types.ServiceConditionCompletedSuccessfully)
	composeRequireDependency(t, api, "seed", types.ServiceConditionCompletedSuccessfully)
}

func TestComposeAppServices(t *testing.T) {
	p := composeProject(t)
	wantCommand := map[string]string{"migrate": "migrate", "seed": "seed", "api": "serve"}

	for _, name := range composeAppServices {
		svc := composeService(t, p, name)
		if got := []string(svc.Command); !slices.Equal(got, []string{wantCommand[name]}) {
			t.Fatalf("service %q command: got %q, want [%q]", name, got, wantCommand[name])
		}
		url := svc.Environment["DATABASE_URL"]
		if url == nil || !strings.HasPrefix(*url, "postgres://") {
			t.Fatalf("service %q DATABASE_URL: got %v, want a postgres:// URL", name, url)
		}
		if !strings.Contains(*url, "@db:5432/") {
			t.Fatalf("service %q DATABASE_URL: got %q, want it to point at the db service (db:5432)", name, *url)
		}
	}

	for _, name := range []string{"migrate", "seed"} {
		if svc := composeService(t, p, name); svc.Restart != "no" && svc.Restart != "" {
			t.Fatalf("service %q restart: got %q, want \"no\" for a one-shot job", name, svc.Restart)
		}
	}
}

func TestComposeAPIPublishesPort(t *testing.T) {
	api := composeService(t, composeProject(t), "api")
	for _, port := range api.Ports {
		if port.Target == 8080 && port.Published == "8080" {
			return
		}
	}
	t.Fatalf("api ports: got %+v, want 8080:8080 published", api.Ports)
}

// dockerfileInstruction is one Dockerfile instruction with line
// continuations joined and comments removed.
type dockerfileInstruction struct {
	cmd  string // upper-cased keyword, e.g. "FROM"
	args string
}

// dockerfileStages parses ../Dockerfile into build stages (one per FROM).
func dockerfileStages(t *testing.T) [][]dockerfileInstruction {
	t.Helper()
	raw, err := os.ReadFile(dockerfilePath)
	if err != nil {
		t.Fatalf("read %s: %v", dockerfilePath, err)
	}
	var (
		stages  [][]dockerfileInstruction
		pending string
	)
	for _, line := range strings.Split(string(raw), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") {
			continue // comment (or parser directive), also allowed inside continuations
		}
		if before, ok := strings.CutSuffix(trimmed, "\\"); ok {
			pending += before + " "
			continue
		}
		full := strings.TrimSpace(pending + trimmed)
		pending = ""
		if full == "" {
			continue
		}
		cmd, args, _ := strings.Cut(full, " ")
		ins := dockerfileInstruction{cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args)}
		if ins.cmd == "FROM" {
			stages = append(stages, nil)
		}
		if len(stages) == 0 {
			t.Fatalf("Dockerfile: got %s before the first FROM, want FROM first", ins.cmd)
		}
		stages[len(stages)-1] = append(stages[len(stages)-1], ins)
	}
	return stages
}

func TestDockerfileMultiStage(t *testing.T) {
	stages := dockerfileStages(t)
	if len(stages) < 2 {
		t.Fatalf("Dockerfile FROM count: got %d, want >= 2 (multi-stage build)", len(stages))
	}

	var built bool
	for _, stage := range stages[:len(stages)-1] {
		for _, ins := range stage {
			if ins.cmd == "RUN" && strings.Contains(ins.args, "CGO_ENABLED=0") && strings.Contains(ins.args, "go build") {
				built = true
			}
		}
	}
	if !built {
		t.Fatalf("Dockerfile build stage: got no RUN with CGO_ENABLED=0 go build, want a static build")
	}

	final := stages[len(stages)-1]
	if from := final[0].args; !strings.Contains(from, "distroless/static") {
		t.Fatalf("Dockerfile final stage: got FROM %s, want a distroless/static base", from)
	}
}

func TestDockerfileEntrypoint(t *testing.T) {
	stages := dockerfileStages(t)
	final := stages[len(stages)-1]

	var entrypoint []string
	var copied []string
	for _, ins := range final {
		switch ins.cmd {
		case "ENTRYPOINT":
			entrypoint = nil
			if err := json.Unmarshal([]byte(ins.args), &entrypoint); err != nil {
				t.Fatalf("Dockerfile ENTRYPOINT: got %s, want exec (JSON array) form: %v", ins.args, err)
			}
		case "COPY":
			if strings.Contains(ins.args, "--from=") {
				fields := strings.Fields(ins.args)
				copied = append(copied, fields[len(fields)-1])
			}
		}
	}
	if len(entrypoint) == 0 {
		t.Fatalf("Dockerfile final stage ENTRYPOINT: got none, want the timeline binary")
	}
	if bin := entrypoint[0]; path.Base(bin) != "timeline" {
		t.Fatalf("Dockerfile ENTRYPOINT: got %q, want the timeline binary", bin)
	}
	if !slices.Contains(copied, entrypoint[0]) {
		t.Fatalf("Dockerfile final stage: got COPY --from destinations %q, want one to be the ENTRYPOINT %q", copied, entrypoint[0])
	}
}

// TestComposeAPIStopGrace: Docker must wait longer than the service's own
// shutdown grace (SHUTDOWN_TIMEOUT, 20s by default) before killing it.
func TestComposeAPIStopGrace(t *testing.T) {
	api := composeService(t, composeProject(t), "api")
	if api.StopGracePeriod == nil || time.Duration(*api.StopGracePeriod) <= 20*time.Second {
		t.Fatalf("got stop_grace_period %v, want more than 20s", api.StopGracePeriod)
	}
}

// TestComposeOneImage: the app image is built once (by one service) and
// run by migrate, seed, api and the scale profile's api-1 and api-2 under
// the same name.
func TestComposeOneImage(t *testing.T) {
	p := composeScaleProject(t)
	var builders []string
	image := composeService(t, p, "api").Image
	if image == "" {
		t.Fatal("api image: got none, want a name the other app services share")
	}
	for _, name := range append(slices.Clone(composeAppServices), "api-1", "api-2") {
		svc := composeService(t, p, name)
		if svc.Build != nil {
			builders = append(builders, name)
		}
		if svc.Image != image {
			t.Errorf("service %q image: got %q, want %q like api", name, svc.Image, image)
		}
	}
	if len(builders) != 1 {
		t.Errorf("services with build: got %q, want exactly one, the image built once", builders)
	}
}

// composeSecretName matches variable names that hold secrets.
var composeSecretName = regexp.MustCompile(`PASSWORD|SECRET|TOKEN|KEY`)

// composeSecretMounted reports whether svc mounts the compose secret name.
func composeSecretMounted(svc types.ServiceConfig, name string) bool {
	return slices.ContainsFunc(svc.Secrets, func(s types.ServiceSecretConfig) bool { return s.Source == name })
}

// composeURLPassword reports whether one of the comma-separated URLs in
// list carries a password.
func composeURLPassword(t *testing.T, list string) bool {
	t.Helper()
	for _, raw := range strings.Split(list, ",") {
		if raw = strings.TrimSpace(raw); raw == "" {
			continue
		}
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("URL %q: %v", raw, err)
		}
		if _, ok := u.User.Password(); ok {
			return true
		}
	}
	return false
}

// TestComposeNoInlineSecrets: no password or key is written in
// compose.yaml, for the default stack or the profile "scale"; each comes
// from a compose secret file, and the services that need one mount it.
func TestComposeNoInlineSecrets(t *testing.T) {
	p := composeScaleProject(t)
	for name, svc := range p.Services {
		for k, v := range svc.Environment {
			if v == nil {
				continue
			}
			if strings.Contains(*v, "://") && composeURLPassword(t, *v) {
				t.Errorf("service %q environment %s: got a URL with a password, want the password from a secret", name, k)
			}
			if !composeSecretName.MatchString(k) {
				continue
			}
			if !strings.HasSuffix(k, "_FILE") || !strings.HasPrefix(*v, "/run/secrets/") {
				t.Errorf("service %q environment %s: got a value written in compose.yaml, want %s_FILE=/run/secrets/…", name, k, k)
				continue
			}
			secret := strings.TrimPrefix(*v, "/run/secrets/")
			if !composeSecretMounted(svc, secret) {
				t.Errorf("service %q: %s names secret %q, which the service does not mount", name, k, secret)
			}
		}
		// A replica URL has no password of its own: DATABASE_PASSWORD_FILE
		// gives it, as to DATABASE_URL, with no second secret.
		if u := svc.Environment["DATABASE_REPLICA_URLS"]; u != nil && *u != "" && svc.Environment["DATABASE_PASSWORD_FILE"] == nil {
			t.Errorf("service %q: got DATABASE_REPLICA_URLS without DATABASE_PASSWORD_FILE, want the replica password from the secret", name)
		}
		if _, ok := svc.Environment["PGPASSFILE"]; ok {
			t.Errorf("service %q: got PGPASSFILE, want DATABASE_PASSWORD_FILE alone (it covers the replica URLs)", name)
		}
	}
	// No file the containers read holds a password either: the
	// configuration written in compose.yaml names none, and PgBouncer's
	// user list is written at start from the secret.
	for name, c := range p.Configs {
		if c.File != "" {
			t.Errorf("config %q: got file %q, want content written in compose.yaml", name, c.File)
		}
		if strings.Contains(c.Content, "timeline:timeline") || regexp.MustCompile(`(?m)^"timeline" "[^"]`).MatchString(c.Content) {
			t.Errorf("config %q: got a password in its content, want it read from /run/secrets", name)
		}
	}
	for _, secret := range []string{"db_password", "cursor_key"} {
		s, ok := p.Secrets[secret]
		if !ok || s.File == "" {
			t.Errorf("secret %q: got %+v, want one defined from a file", secret, s)
		}
	}
	for _, name := range append(slices.Clone(composeAppServices), "api-1", "api-2") {
		if v := composeService(t, p, name).Environment["DATABASE_PASSWORD_FILE"]; v == nil {
			t.Errorf("service %q: got no DATABASE_PASSWORD_FILE, want the database password from a secret", name)
		}
	}
	// serve refuses the built-in cursor key against PostgreSQL.
	for _, name := range []string{"api", "api-1", "api-2"} {
		if v := composeService(t, p, name).Environment["CURSOR_KEY_FILE"]; v == nil {
			t.Errorf("%s: got no CURSOR_KEY_FILE, want the cursor key from a secret", name)
		}
	}
	// The services that log in to PostgreSQL without the app's
	// DATABASE_PASSWORD_FILE read the password secret themselves.
	for _, name := range []string{"db-replica", "pgbouncer-primary", "pgbouncer-replica"} {
		if !composeSecretMounted(composeService(t, p, name), "db_password") {
			t.Errorf("service %q: got no db_password secret, want the password from it", name)
		}
	}
}

// TestComposeAPIHealthcheck: the api is checked by its own binary, since
// the distroless image has no shell or curl.
func TestComposeAPIHealthcheck(t *testing.T) {
	api := composeService(t, composeProject(t), "api")
	if api.HealthCheck == nil || api.HealthCheck.Disable {
		t.Fatal("api healthcheck: got none, want `/timeline healthcheck`")
	}
	if got, want := []string(api.HealthCheck.Test), []string{"CMD", "/timeline", "healthcheck"}; !slices.Equal(got, want) {
		t.Errorf("api healthcheck test: got %q, want %q", got, want)
	}
}

// TestComposeMetricsNotPublished: /metrics is on METRICS_ADDR, whose port
// is not published; only the API port is.
func TestComposeMetricsNotPublished(t *testing.T) {
	p := composeScaleProject(t)
	for _, name := range []string{"api", "api-1", "api-2"} {
		api := composeService(t, p, name)
		addr := api.Environment["METRICS_ADDR"]
		if addr == nil || *addr == "" {
			t.Fatalf("%s METRICS_ADDR: got unset, want /metrics on a listener of its own", name)
		}
		_, port, err := net.SplitHostPort(*addr)
		if err != nil {
			t.Fatalf("%s METRICS_ADDR %q: %v", name, *addr, err)
		}
		for _, p := range api.Ports {
			if p.Target != 8080 {
				t.Errorf("%s ports: got %+v published, want only 8080", name, p)
			}
			if port == "8080" || p.Published == port {
				t.Errorf("%s ports: the metrics port %s is published", name, port)
			}
		}
	}
}

// composeCapAdd are the only capabilities a service may add back: the
// database's entrypoint needs these to drop to its own user, and the caddy
// binary carries the file capability cap_net_bind_service, without which
// in the bounding set it cannot be executed.
var composeCapAdd = map[string][]string{
	"db":    {"CHOWN", "DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID"},
	"proxy": {"NET_BIND_SERVICE"},
}

// TestComposeHardening: every container, of the default stack and of the
// profile "scale", runs read-only, without capabilities and unable to gain
// privileges, apart from the few composeCapAdd allows.
func TestComposeHardening(t *testing.T) {
	p := composeScaleProject(t)
	if len(p.Services) < len(composeAppServices)+1+len(scaleServices) {
		t.Fatalf("services: got %d, want the default stack and the profile scale", len(p.Services))
	}
	for name, svc := range p.Services {
		if !svc.ReadOnly {
			t.Errorf("service %q read_only: got false, want true", name)
		}
		if !slices.Equal(svc.CapDrop, []string{"ALL"}) {
			t.Errorf("service %q cap_drop: got %q, want [ALL]", name, svc.CapDrop)
		}
		if !slices.Contains(svc.SecurityOpt, "no-new-privileges:true") {
			t.Errorf("service %q security_opt: got %q, want no-new-privileges:true", name, svc.SecurityOpt)
		}
		if got, want := slices.Sorted(slices.Values(svc.CapAdd)), composeCapAdd[name]; !slices.Equal(got, want) {
			t.Errorf("service %q cap_add: got %q, want %q", name, got, want)
		}
	}
}

// composePinned matches an image reference pinned by digest or by an exact
// version tag (two dots, as in 16.10 or 1.26.8, plus an optional suffix).
var composePinned = regexp.MustCompile(`@sha256:[0-9a-f]{64}$|:[0-9]+\.[0-9]+(\.[0-9]+)?(-[a-z0-9.]+)?$`)

// TestImagesPinned: every base image, in compose.yaml (default stack,
// profile "scale" and its inline Dockerfiles) and the Dockerfile, names an
// exact version or a digest, never a moving tag such as 16 or latest.
func TestImagesPinned(t *testing.T) {
	p := composeScaleProject(t)
	built := map[string]bool{}
	for _, svc := range p.Services {
		if svc.Build != nil {
			built[svc.Image] = true
		}
	}
	var inline int
	for name, svc := range p.Services {
		if svc.Image == "" {
			t.Errorf("service %q: got no image, want a pulled image or the name of one built here", name)
		} else if !built[svc.Image] && !composePinned.MatchString(svc.Image) {
			t.Errorf("service %q image %q: want an exact version tag or a digest", name, svc.Image)
		}
		if svc.Build == nil || svc.Build.DockerfileInline == "" {
			continue
		}
		inline++
		for _, line := range strings.Split(svc.Build.DockerfileInline, "\n") {
			if f := strings.Fields(line); len(f) >= 2 && strings.EqualFold(f[0], "FROM") && !composePinned.MatchString(f[1]) {
				t.Errorf("service %q dockerfile_inline: got FROM %s, want an exact version tag or a digest", name, f[1])
			}
		}
	}
	if inline == 0 {
		t.Error("dockerfile_inline: got none, want PgBouncer's image built from one")
	}
	for i, stage := range dockerfileStages(t) {
		from := strings.Fields(stage[0].args)
		if len(from) == 0 || !composePinned.MatchString(from[0]) {
			t.Errorf("Dockerfile stage %d: got FROM %s, want an exact version tag or a digest", i+1, stage[0].args)
		}
	}
}

// TestDockerignore: the build context leaves out the tests, npm packages
// and secrets.
func TestDockerignore(t *testing.T) {
	raw, err := os.ReadFile("../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(raw), "\n")
	for _, want := range []string{"tests", "node_modules", "secrets"} {
		if !slices.ContainsFunc(lines, func(l string) bool {
			l = strings.Trim(strings.TrimSpace(l), "/")
			return l == want || l == "**/"+want
		}) {
			t.Errorf(".dockerignore: got no %s line, want the build context to leave it out", want)
		}
	}
}
