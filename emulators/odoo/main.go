// Command odoo runs the Odoo XML-RPC emulator on its own:
//
//	go run ./emulators/odoo --addr 127.0.0.1:8069 --db odoo --login admin --password admin --odoo-version 17 --seed-customers 0
//
// See docs/emulator-odoo.md for what it emulates.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/odoo/odooemu"
)

// listFlag collects a repeatable flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	*l = append(*l, v)
	return nil
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "odoo emulator:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("odoo", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Odoo XML-RPC emulator (/xmlrpc/2/common, /xmlrpc/2/object, /xmlrpc/2/db).\n\nUsage: go run ./emulators/odoo [flags]\n\nFlags:\n")
		fs.PrintDefaults()
	}
	addr := fs.String("addr", "127.0.0.1:8069", "listen address (host:port; port 0 picks a free one)")
	db := fs.String("db", "odoo", "database name clients must send")
	login := fs.String("login", "admin", "login of the API user (uid 2)")
	password := fs.String("password", "admin", "password of the API user")
	var apiKeys listFlag
	fs.Var(&apiKeys, "api-key", "API key accepted in the password slot (repeatable)")
	version := fs.Int("odoo-version", 17, "emulated Odoo major version: 16, 17 or 18")
	customers := fs.Int("seed-customers", 0, "generated customers to load at start (0 = base records only; ~1.5 partners and ~3 orders each)")
	seed := fs.Int64("seed", 1, "seed of the deterministic data generator")
	latency := fs.Duration("latency", 0, "delay added to every RPC (e.g. 50ms)")
	faultRate := fs.Float64("fault-rate", 0, "fraction 0..1 of object calls that fail transiently (half Fault 1 serialization failures, a quarter HTTP 502, a quarter HTTP 503)")
	slowRate := fs.Float64("slow-rate", 0, "fraction 0..1 of object calls answered after --slow-delay")
	slowDelay := fs.Duration("slow-delay", 2*time.Second, "delay of slow calls")
	timeoutRate := fs.Float64("timeout-rate", 0, "fraction 0..1 of object calls that hang until the client gives up (then HTTP 504)")
	webhookURL := fs.String("webhook-url", "", "URL to POST 'Send Webhook Notification' JSON to on create/write of res.partner and sale.order (17+; used verbatim, may carry ?token=...)")
	webhookTiming := fs.String("webhook-timing", "", "precommit (17 default: sent before the change is visible) or postcommit (18 default)")
	cooldownAfter := fs.Int("login-cooldown-after", 5, "failed logins from one address before a cooldown (0 disables)")
	cooldownFor := fs.Duration("login-cooldown-duration", 60*time.Second, "cooldown window (base.login_cooldown_duration)")
	autoDone := fs.Bool("auto-done", false, "lock orders on confirmation (16: state done; 17+: locked)")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn, error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	after := *cooldownAfter
	if after == 0 {
		after = -1 // Options: negative disables, 0 means default
	}
	began := time.Now()
	emu, err := odooemu.New(odooemu.Options{
		DB: *db, Login: *login, Password: *password, APIKeys: apiKeys, Version: *version,
		SeedCustomers: *customers, Seed: *seed, Latency: *latency, FaultRate: *faultRate,
		WebhookURL: *webhookURL, WebhookTiming: *webhookTiming,
		LoginCooldownAfter: after, LoginCooldownDuration: *cooldownFor, AutoDone: *autoDone, Logger: logger,
	})
	if err != nil {
		return err
	}
	if *slowRate > 0 || *timeoutRate > 0 {
		emu.SetFaults(odooemu.Faults{
			OperationalError: *faultRate / 2, BadGateway: *faultRate / 4, Unavailable: *faultRate / 4,
			Slow: *slowRate, SlowDelay: *slowDelay, Timeout: *timeoutRate,
		})
	}
	if err := emu.Start(*addr); err != nil {
		return err
	}
	logger.Info("odoo emulator listening", "url", emu.URL(), "db", *db, "version", *version,
		"partners", emu.RecordCount("res.partner"), "orders", emu.RecordCount("sale.order"),
		"startup", time.Since(began).Round(time.Millisecond), "webhooks", *webhookURL != "")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	logger.Info("shutting down")
	return emu.Close()
}
