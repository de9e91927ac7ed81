package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime/debug"
	"time"
)

// Build facts set by the linker where the source has no VCS data (a
// container build copies no .git):
//
//	-ldflags "-X main.revision=$(git rev-parse HEAD) -X main.buildTime=$(date -u +%FT%TZ)"
//
// When empty, the revision and its time come from the build info Go
// stamps from the checkout.
var (
	revision  string
	buildTime string
)

// versionCommand prints `gateway version`: the module version, the VCS
// revision (with "+modified" when built from a changed checkout), the
// commit and build times, and the Go version.
func versionCommand(args []string, stdout io.Writer) error {
	fs := commandFlags("version", "", "Prints the version, the source revision and the build time.", stdout)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("version: unexpected arguments %q", fs.Args())
	}
	fmt.Fprint(stdout, versionText())
	return nil
}

// versionText is what `gateway version` and `gateway --version` print.
func versionText() string {
	info, _ := debug.ReadBuildInfo()
	return versionOf(info)
}

// versionOf describes the binary of info (nil: unknown), the linker's
// revision and build time first.
func versionOf(info *debug.BuildInfo) string {
	module, goVersion := "unknown", "unknown"
	rev, commitTime, modified := revision, "", false
	if info != nil {
		module, goVersion = info.Main.Version, info.GoVersion
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				if rev == "" {
					rev = s.Value
				}
			case "vcs.time":
				commitTime = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if rev == "" {
		rev = "unknown"
	} else if modified {
		rev += "+modified"
	}
	built := buildTime
	if built == "" {
		built = "unknown"
	}
	if commitTime == "" {
		commitTime = "unknown"
	}
	return fmt.Sprintf("gateway %s\nrevision %s\ncommitted %s\nbuilt %s\n%s\n", module, rev, commitTime, built, goVersion)
}

// healthcheckTimeout bounds `gateway healthcheck`: a container runtime
// kills a check that hangs, and a hung gateway is unhealthy.
const healthcheckTimeout = 5 * time.Second

// healthcheckCommand asks the gateway listening at cfg.Addr on this host
// for /healthz (or /readyz) and fails unless it answers 200. It is the
// container's HEALTHCHECK: the image has no shell and no curl.
func healthcheckCommand(cfg Config, args []string, stdout io.Writer) error {
	fs := commandFlags("healthcheck", "[-ready]", "Asks the gateway listening at -addr (env ADDR) on this host whether it is up\n"+
		"(GET /healthz) or, with -ready, ready to serve (GET /readyz); exits 0 when it answers 200.", stdout)
	ready := fs.Bool("ready", false, "ask /readyz (database reachable, schema migrated, not draining) instead of /healthz")
	timeout := fs.Duration("timeout", healthcheckTimeout, "bound on the request")
	if err := fs.Parse(args); err != nil {
		return err
	}
	path := "/healthz"
	if *ready {
		path = "/readyz"
	}
	url := "http://" + localAddr(cfg.Addr) + path
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<10))
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: GET %s: %s %s", url, res.Status, body)
	}
	fmt.Fprintf(stdout, "%s: %s", path, body)
	return nil
}

// localAddr is the address to reach a server listening on addr from the
// same host: a listener on every interface (":8080", "0.0.0.0:8080",
// "[::]:8080") is reached on the loopback.
func localAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
