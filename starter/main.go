// Command starter is the ops CLI of odoo-dotdigital-sync: it talks to the
// Temporal cluster the workers use (the embedded one by default) to show a
// customer's sync status, force resyncs, run backfills and reconciliations,
// list exceptions and show sync lag.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"syscall"

	"go.temporal.io/sdk/client"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/app"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/config"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/identity"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/logging"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/workflows"
)

// env is what every command gets.
type env struct {
	ctx      context.Context
	cfg      *config.Config
	client   client.Client
	hasher   identity.Hasher
	settings workflows.Settings
	out      io.Writer
	json     bool
}

type command struct {
	usage string
	help  string
	run   func(e *env, args []string) error
	// check validates the arguments before connecting, so that bad input
	// gets its own clear error (exit 2) even when Temporal is unreachable.
	check func(args []string) error
}

var commands = map[string]command{}

// usageError makes main print the command's usage and exit 2.
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

// exitCode makes main exit with that code, printing nothing more (the
// command printed its result).
type exitCode int

func (c exitCode) Error() string { return fmt.Sprintf("exit status %d", int(c)) }

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printHelp(stdout)
		return 0
	}
	cfg, rest, err := config.LoadArgs("starter", args, os.Getenv)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "starter:", err)
		return 2
	}
	if len(rest) == 0 {
		printHelp(stderr)
		return 2
	}
	cmd, ok := commands[rest[0]]
	if !ok {
		fmt.Fprintf(stderr, "starter: unknown command %q (see starter --help)\n", rest[0])
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := &env{ctx: ctx, cfg: cfg, out: stdout, settings: app.SettingsFrom(cfg)}
	cmdArgs, jsonOut := stripJSON(rest[1:])
	e.json = jsonOut
	if cmd.check != nil {
		if err := cmd.check(cmdArgs); err != nil {
			fmt.Fprintf(stderr, "starter %s: %s\nusage: starter %s\n", rest[0], err, cmd.usage)
			return 2
		}
	}
	if err := e.connect(); err != nil {
		fmt.Fprintln(stderr, "starter:", err)
		return 1
	}
	defer e.client.Close()
	if err := cmd.run(e, cmdArgs); err != nil {
		var code exitCode
		if errors.As(err, &code) {
			return int(code)
		}
		var u usageError
		if errors.As(err, &u) {
			fmt.Fprintf(stderr, "starter %s: %s\nusage: starter %s\n", rest[0], u.msg, cmd.usage)
			return 2
		}
		fmt.Fprintf(stderr, "starter %s: %v\n", rest[0], err)
		return 1
	}
	return 0
}

func (e *env) connect() error {
	addr := e.cfg.Temporal.Address
	if addr == "" {
		addr = "127.0.0.1:" + strconv.Itoa(e.cfg.Temporal.FrontendPort) // the embedded server of `go run ./worker`
	}
	logger, _ := logging.New(io.Discard, "error", "text")
	c, err := app.Dial(e.ctx, e.cfg, addr, nil, logger)
	if err != nil {
		return fmt.Errorf("%w (is the worker running? set TEMPORAL_ADDRESS for a remote cluster)", err)
	}
	e.client = c
	secret := e.cfg.Sync.IDSecret
	if secret == "" {
		secret = app.EmbeddedIDSecret
	}
	e.hasher = identity.NewHasher(secret)
	return nil
}

func stripJSON(args []string) ([]string, bool) {
	out := args[:0:0]
	j := false
	for _, a := range args {
		if a == "--json" || a == "-json" {
			j = true
			continue
		}
		out = append(out, a)
	}
	return out, j
}

func printHelp(w io.Writer) {
	fmt.Fprintln(w, `starter: the ops CLI of odoo-dotdigital-sync

Usage: starter [connection flags] <command> [arguments] [--json]

Commands:`)
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-44s %s\n", commands[n].usage, commands[n].help)
	}
	fmt.Fprintln(w, `
Connection flags and variables are the worker's (starter --temporal-address ... ;
TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, SYNC_ID_SECRET, ODOO_* ...). Without
TEMPORAL_ADDRESS the starter talks to the embedded server of "go run ./worker".
Add --json to any command for machine-readable output. Exit codes: 0 success,
1 failure, 2 bad usage or input.`)
}
